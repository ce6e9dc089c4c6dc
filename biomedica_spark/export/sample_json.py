"""The `<key>.json` of each sample: one pure function per `export.format`, chosen by name.

A builder takes the sample's metadata row (the columns of `SAMPLE_COLUMNS`, `CONCEPT_COLUMNS` and the
format's own `format_columns`, as Python values) and the exported image's size, and returns a JSON-ready
dict. Adding a format is adding one function to `FORMATS` (and its columns to `format_columns`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from biomedica_spark.export.biomedica_json import biomedica_columns, biomedica_sample_json

# Metadata columns every builder may read (the export job selects exactly these).
SAMPLE_COLUMNS = (
    "key",
    "pair_key",
    "article_key",
    "pmcid",
    "pmid",
    "doi",
    "figure_id",
    "label",
    "caption",
    "title",
    "authors",
    "journal",
    "pub_year",
    "article_type",
    "license_code",
    "license_url",
    "license_subset",
    "cluster_id",
    "image_sha256",
    "kind",
    "inline_refs",
)
# Written by annotate; null or empty before it runs (then left out of the JSON).
CONCEPT_COLUMNS = (
    "panel_type",
    "global_concepts",
    "local_concepts",
    "cluster_label_id",
    "concept_source",
    "concept_model_version",
)

CITATION_AUTHORS = 3

SampleJsonBuilder = Callable[[Mapping[str, Any], int, int], dict[str, Any]]


def citation(
    authors: Sequence[str] | None, title: str | None, journal: str | None, year: int | None, doi: str | None
) -> str:
    """A one-line attribution: `A, B, C et al. Title. Journal (2020). doi:10.x/y`."""
    names = [a for a in authors or () if a]
    parts = []
    if names:
        shown = ", ".join(names[:CITATION_AUTHORS])
        parts.append(shown + (" et al." if len(names) > CITATION_AUTHORS else "."))
    if title:
        parts.append(title.rstrip(".") + ".")
    if journal:
        parts.append(journal + (f" ({year})." if year else "."))
    elif year:
        parts.append(f"({year}).")
    if doi:
        parts.append(f"doi:{doi}")
    return " ".join(parts)


def concept_labels(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Annotate's labels of the pair, or None when it has none (or annotate has not run)."""
    labels = {name: row.get(name) for name in CONCEPT_COLUMNS}
    if all(v is None or (isinstance(v, list) and not v) for v in labels.values()):
        return None
    return {k: v for k, v in labels.items() if v is not None}


def native_sample_json(row: Mapping[str, Any], width: int, height: int) -> dict[str, Any]:
    """The native format: ids, attribution, licence, image size, cluster, inline references, concepts.

    Null fields are left out to keep the JSON compact."""
    refs = [
        {k: v for k, v in ref.items() if v is not None}
        for ref in row.get("inline_refs") or ()
        if ref is not None
    ]
    sample: dict[str, Any] = {
        "key": row["key"],
        "pmcid": row.get("pmcid"),
        "pmid": row.get("pmid"),
        "doi": row.get("doi"),
        "article_key": row.get("article_key"),
        "figure_id": row.get("figure_id"),
        "label": row.get("label"),
        "kind": row.get("kind"),
        "title": row.get("title"),
        "authors": row.get("authors") or None,
        "citation": citation(
            row.get("authors"), row.get("title"), row.get("journal"), row.get("pub_year"), row.get("doi")
        )
        or None,
        "journal": row.get("journal"),
        "year": row.get("pub_year"),
        "article_type": row.get("article_type"),
        "license": {
            k: v
            for k, v in (
                ("code", row.get("license_code")),
                ("url", row.get("license_url")),
                ("subset", row.get("license_subset")),
            )
            if v is not None
        },
        "width": width,
        "height": height,
        "image_sha256": row.get("image_sha256"),
        "cluster_id": row.get("cluster_id"),
        "inline_refs": refs or None,
        "concepts": concept_labels(row),
    }
    return {k: v for k, v in sample.items() if v is not None}


FORMATS: dict[str, SampleJsonBuilder] = {"native": native_sample_json, "biomedica": biomedica_sample_json}


def format_columns(export_format: str, whole_article: bool = False) -> tuple[str, ...]:
    """The columns a format's builder reads beyond SAMPLE_COLUMNS and CONCEPT_COLUMNS (none for native)."""
    return biomedica_columns(whole_article) if export_format == "biomedica" else ()


def encode_json(sample: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON with a fixed key order, so the same sample always has the same bytes."""
    return json.dumps(sample, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
