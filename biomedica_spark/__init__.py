"""biomedica-spark: PMC-OA figures and captions to deduplicated training data on Spark + Delta.

Architecture (one room per concern):
- ``jats``      pure functions: JATS/NLM XML -> article metadata, figures, captions, inline references
- ``archives``  pure functions: safe reading of tar/zip/bare-XML archives, href -> member resolution
- ``images``    pure functions: safe decode, normalisation, perceptual hashes
- ``extract``   composes the above: one archive -> rows (records.py); Spark job over many archives
- ``lake``      the only place that talks to Delta: session, tables, MERGE, runs
- ``samples``   a deterministic generator of PMC-like OA packages for demos, tests and benchmarks
"""

__version__ = "0.1.0"
