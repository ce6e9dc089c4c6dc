"""Annotate: BIOMEDICA concept labels via embedding clusters, expert labels and propagation.

taxonomy (concepts as data, label validation) · descriptor + embedders (image bytes -> vectors) ·
captions (zero-shot suggestions) · sheets + labels_csv (what an expert sees and edits) · metrics
(purity, ARI) · synthetic (figures of known types for the bench) · job (the Spark steps embed, cluster,
sheets, propagate over the Delta tables).
"""
