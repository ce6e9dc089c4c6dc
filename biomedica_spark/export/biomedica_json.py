"""`export.format=biomedica`: sample JSON with every key of the BIOMEDICA release, with the release's types.

Every sample carries every key, whether or not annotate and enrich have run: an unknown value is the
release type's empty value ("" for strings, [] for lists, {} for the context map), never a missing key.
Two keys are added: `article_pmid` (the release card lists the PMID but its samples lack it) and
`article_date_iso`; `article_date` stays what the release has, Unix seconds as a string.

Where this deliberately differs from the release (BIOMEDICA-SCHEMA.md lists its defects):
- `image_hash` is the hex SHA-256 of the image's stored bytes (the release hashed a PNG re-encoding);
- `image_set` and `image_context` carry only the sample's own figure and `article_text` is empty, unless
  `export.biomedica.whole_article=true` asks for the release's per-sample copies of the whole article;
- MeSH terms come from the PubMed join (one heading stays one heading), abstracts are text, not a
  printed Python list.
"""

from __future__ import annotations

import datetime as dt
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from biomedica_spark.export.sample_json import citation

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
    "article_figures",  # whole_article only: [{file_name, stem, inline_refs}] of every figure of the article
)

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


def biomedica_sample_json(row: Mapping[str, Any], width: int, height: int) -> dict[str, Any]:
    file_name = posixpath.basename(row.get("resolved_member") or row.get("graphic_href") or "")
    stem = _stem(row.get("graphic_href") or file_name)
    panel_type, panel_subtype = _panel(row.get("panel_type"))
    whole_article = row.get("article_figures") is not None
    if whole_article:
        figures = row.get("article_figures") or []
        image_set = [f.get("file_name") or "" for f in figures]
        context = {f.get("stem") or "": _paragraphs(f.get("inline_refs")) for f in figures}
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


def _stem(href: str) -> str:
    """The figure's file stem, as the release's `image_cluster_id`: known image extensions only, so
    `journal.pone.0046493.g001` keeps its dots."""
    base = posixpath.basename(href)
    head, dot, extension = base.rpartition(".")
    return head if dot and extension.lower() in {"jpg", "jpeg", "png", "gif", "tif", "tiff"} else base


def _panel(label: str | None) -> tuple[str, str]:
    """annotate's panel label ("single panel", "multiple panels: images", ...) as the release's pair."""
    if not label:
        return "", ""
    return ("multiple" if label.startswith("multiple") else "single"), label


def _paragraphs(refs: Sequence[Mapping[str, Any]] | None) -> list[str]:
    return [r["paragraph"] for r in refs or () if r and r.get("paragraph")]


def _unix_seconds(day: Any) -> str:
    if not isinstance(day, dt.date):
        return ""
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return str(int(midnight.timestamp()))
