"""The expert-label CSV: a template per model version (one row per cluster, caption suggestions
pre-filled in separate columns) and its re-import, validated against the taxonomy row by row.

Experts fill `panel_type`, `panel_subtype`, `global_concepts`, `local_concepts` (names separated by `;`),
`annotator` and `note`; rows left without a panel type or concepts are unlabelled and skipped. A row
naming an unknown concept, an unknown cluster or a bad number is rejected with its reasons (the job
quarantines it); the other rows are imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from biomedica_spark.annotate.taxonomy import Label, Taxonomy, split_names, validate_label

LABEL_COLUMNS = (
    "model_version",
    "cluster_label_id",
    "panel_type",
    "panel_subtype",
    "global_concepts",
    "local_concepts",
    "annotator",
    "note",
)
HINT_COLUMNS = (
    "images",
    "sheet",
    "suggested_panel_type",
    "suggested_global_concepts",
    "suggested_local_concepts",
    "suggestion_confidence",
)


@dataclass(frozen=True)
class ImportedLabel:
    model_version: str
    cluster_label_id: int
    label: Label
    annotator: str | None
    note: str | None


@dataclass(frozen=True)
class RejectedRow:
    line: int  # 1-based line in the file (the header is line 1)
    cluster: str
    reasons: tuple[str, ...]


def label_template(rows: Iterable[dict[str, object]]) -> str:
    """CSV text with LABEL_COLUMNS then HINT_COLUMNS; list values are joined with `; `."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*LABEL_COLUMNS, *HINT_COLUMNS], extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list | tuple) else v for k, v in row.items()})
    return out.getvalue()


def parse_label_csv(
    text: str, taxonomy: Taxonomy, known_clusters: set[tuple[str, int]] | None = None
) -> tuple[list[ImportedLabel], list[RejectedRow]]:
    """Labelled rows of the CSV, validated; `known_clusters` (model version, cluster) rejects strays."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("model_version", "cluster_label_id") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"label CSV lacks the columns {missing}; expected at least {list(LABEL_COLUMNS)}")
    labels: list[ImportedLabel] = []
    rejected: list[RejectedRow] = []
    for line, row in enumerate(reader, start=2):
        cell = _cells(row)
        if not (cell["panel_type"] or cell["global_concepts"] or cell["local_concepts"]):
            continue
        reasons: list[str] = []
        version = cell["model_version"]
        cluster_text = cell["cluster_label_id"]
        cluster = _int(cluster_text)
        if not version:
            reasons.append("model_version is empty")
        if cluster is None:
            reasons.append(f"cluster_label_id {cluster_text!r} is not a whole number")
        elif known_clusters is not None and (version, cluster) not in known_clusters:
            reasons.append(f"model {version!r} has no cluster {cluster}")
        label, problems = validate_label(
            taxonomy,
            cell["panel_type"] or None,
            cell["panel_subtype"] or None,
            split_names(cell["global_concepts"]),
            split_names(cell["local_concepts"]),
        )
        reasons.extend(problems)
        if reasons or label is None or cluster is None:
            rejected.append(RejectedRow(line, f"{version}/{cluster_text}", tuple(reasons)))
            continue
        labels.append(ImportedLabel(version, cluster, label, cell["annotator"] or None, cell["note"] or None))
    return labels, rejected


def latest_per_cluster(labels: Sequence[ImportedLabel]) -> list[ImportedLabel]:
    """One label per (model version, cluster): the last row of the file wins, as an editor expects."""
    chosen: dict[tuple[str, int], ImportedLabel] = {}
    for label in labels:
        chosen[(label.model_version, label.cluster_label_id)] = label
    return list(chosen.values())


def _cells(row: dict[str | None, str | None]) -> dict[str, str]:
    return {column: (row.get(column) or "").strip() for column in LABEL_COLUMNS}


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
