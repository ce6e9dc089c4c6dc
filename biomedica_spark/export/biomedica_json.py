"""`export.format=biomedica`: sample JSON with every key of the BIOMEDICA release, with the release's types.

Every sample carries every key, whether or not annotate and enrich have run: an unknown value is the
release type's empty value ("" for strings, [] for lists, {} for the context map), never a missing key.
Two keys are added: `article_pmid` (the release card lists the PMID but its samples lack it) and
`article_date_iso`; `article_date` stays what the release has, Unix seconds as a string.

Where this deliberately differs from the release (BIOMEDICA-SCHEMA.md lists its defects):
- `image_hash` is the hex SHA-256 of the image's stored bytes (the release hashed a PNG re-encoding);
- `image_set` and `image_context` carry only the sample's own figure and `article_text` is empty, unless
  `export.biomedica.whole_article=true` asks for the release's per-sample copies of the whole article;
- `image_panel_type` is annotate's panel type; `image_panel_subtype` is known only for single panels
  (`pairs` carries the type, not the expert's subtype), so a multiple-panel sample has "" there;
- MeSH terms come from the PubMed join (one heading stays one heading), abstracts are text, not a
  printed Python list.

The `<shard>.parquet` sidecar of this format holds, per sample, its `key` and the JSON's scalar keys
(`SIDECAR_KEYS`: ids, names, dates, licence, citation, reference count; not the abstract or article text),
plus what was written (extension, width, height, image bytes); lists and maps stay in the JSON.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

# Columns the builder reads beyond sample_json.SAMPLE_COLUMNS (the export job selects them too).
BIOMEDICA_COLUMNS = (
    "graphic_href",
    "resolved_member",
    "abstract",
    "pubmed_abstract",
    "keywords",
    "subjects",
    "pub_date",
    "reference_pmids",
    "reference_dois",
    "mesh_terms",
    "body_text",
    # every figure of the article in document order: [{graphic_href, resolved_member, inline_refs}]
    "article_figures",
)
# Selected only with `export.biomedica.whole_article=true`: the article's text and figure list per sample.
WHOLE_ARTICLE_COLUMNS = ("body_text", "article_figures")

# The release's keys and their types (what a consumer of the release checks).
RELEASE_KEYS: dict[str, type] = {
    "image_file_name": str,
    "image_cluster_id": str,
    "image_hash": str,
    "image_label_id": str,
    "image_panel_type": str,
    "image_panel_subtype": str,
    "image_primary_label": list,
    "image_secondary_label": list,
    "image_size": list,
    "image_set": list,
    "image_context": dict,
    "article_accession_id": str,
    "article_title": str,
    "article_journal": str,
    "article_date": str,
    "article_abstract": str,
    "article_mesh_terms": list,
    "article_keywords": list,
    "article_reference_ids": list,
    "article_reference_count": int,
    "article_reference_list": list,
    "article_subject": list,
    "article_citation": str,
    "article_license": str,
    "article_text": str,
}
ADDED_KEYS: dict[str, type] = {"article_pmid": str, "article_date_iso": str}
# The scalar keys the parquet sidecar carries (long texts stay in the JSON only).
SIDECAR_KEYS: dict[str, type] = {
    k: kind
    for k, kind in {**RELEASE_KEYS, **ADDED_KEYS}.items()
    if kind in (str, int) and k not in ("article_abstract", "article_text")
}


def biomedica_columns(whole_article: bool) -> tuple[str, ...]:
    """The columns the export selects for this builder beyond SAMPLE_COLUMNS and CONCEPT_COLUMNS."""
    if whole_article:
        return BIOMEDICA_COLUMNS
    return tuple(c for c in BIOMEDICA_COLUMNS if c not in WHOLE_ARTICLE_COLUMNS)


def biomedica_sample_json(row: Mapping[str, Any], width: int, height: int) -> dict[str, Any]:
    """The release's JSON for one sample (`row`: SAMPLE_COLUMNS, CONCEPT_COLUMNS, `biomedica_columns`).

    A row with `article_figures` (not None) gets the whole-article copies: every figure of the article in
    `image_set` / `image_context`, and the article's text."""
    # sample_json's format registry imports this module, so its helper is imported at call time.
    from biomedica_spark.export.sample_json import citation

    file_name, stem = figure_names(row.get("graphic_href"), row.get("resolved_member"))
    panel_type, panel_subtype = _panel(row.get("panel_type"))
    whole_article = row.get("article_figures") is not None
    if whole_article:
        figures = [f for f in row.get("article_figures") or () if f]
        names = [figure_names(f.get("graphic_href"), f.get("resolved_member")) for f in figures]
        image_set = [name for name, _ in names]
        context = {s: _paragraphs(f.get("inline_refs")) for (_, s), f in zip(names, figures, strict=True)}
    else:
        image_set = [file_name]
        context = {stem: _paragraphs(row.get("inline_refs"))}
    references = [*(row.get("reference_pmids") or ()), *(row.get("reference_dois") or ())]
    pub_date = row.get("pub_date")
    return {
        "image_file_name": file_name,
        "image_cluster_id": stem,
        "image_hash": row.get("image_sha256") or "",
        "image_label_id": "" if row.get("cluster_label_id") is None else str(row["cluster_label_id"]),
        "image_panel_type": panel_type,
        "image_panel_subtype": panel_subtype,
        "image_primary_label": list(row.get("global_concepts") or ()),
        "image_secondary_label": list(row.get("local_concepts") or ()),
        "image_size": [width, height],
        "image_set": image_set,
        "image_context": context,
        "article_accession_id": row.get("pmcid") or "",
        "article_title": row.get("title") or "",
        "article_journal": row.get("journal") or "",
        "article_date": _unix_seconds(pub_date),
        "article_abstract": row.get("abstract") or row.get("pubmed_abstract") or "",
        "article_mesh_terms": [
            m["descriptor"] for m in row.get("mesh_terms") or () if m and m.get("descriptor")
        ],
        "article_keywords": list(row.get("keywords") or ()),
        "article_reference_ids": references,
        "article_reference_count": len(references),
        "article_reference_list": [],
        "article_subject": list(row.get("subjects") or ()),
        "article_citation": citation(
            row.get("authors"), row.get("title"), row.get("journal"), row.get("pub_year"), row.get("doi")
        ),
        "article_license": row.get("license_code") or "",
        "article_text": (row.get("body_text") or "") if whole_article else "",
        "article_pmid": row.get("pmid") or "",
        "article_date_iso": pub_date.isoformat() if isinstance(pub_date, dt.date) else "",
    }


def figure_names(href: str | None, member: str | None) -> tuple[str, str]:
    """(`image_file_name`, `image_cluster_id`) of a figure: the basename of the image file it resolved
    to (else of its href), and the href's file stem, as the release names them."""
    file_name = posixpath.basename(member or href or "")
    return file_name, _stem(href or file_name)


def _stem(href: str) -> str:
    """The figure's file stem, as the release's `image_cluster_id`: known image extensions only, so
    `journal.pone.0046493.g001` keeps its dots."""
    base = posixpath.basename(href)
    head, dot, extension = base.rpartition(".")
    return head if dot and extension.lower() in {"jpg", "jpeg", "png", "gif", "tif", "tiff"} else base


def _panel(label: str | None) -> tuple[str, str]:
    """annotate's panel label as the release's (type, subtype) pair.

    `pairs.panel_type` holds the type ("single" | "multiple"); a single panel has one subtype, a
    multiple one's subtype is unknown there. A subtype label ("multiple panels: images") is mapped too."""
    if not label:
        return "", ""
    kind = "multiple" if label.startswith("multiple") else "single"
    if label == kind:
        return kind, "single panel" if kind == "single" else ""
    return kind, label


def _paragraphs(refs: Sequence[Mapping[str, Any]] | None) -> list[str]:
    return [r["paragraph"] for r in refs or () if r and r.get("paragraph")]


def _unix_seconds(day: Any) -> str:
    if not isinstance(day, dt.date):
        return ""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return str(int(midnight.timestamp()))
