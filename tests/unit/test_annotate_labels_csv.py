"""The expert-label CSV: template columns, import with validation, last row wins."""

from __future__ import annotations

import csv
import io

import pytest

from biomedica_spark.annotate.labels_csv import (
    HINT_COLUMNS,
    LABEL_COLUMNS,
    label_template,
    latest_per_cluster,
    parse_label_csv,
)
from biomedica_spark.annotate.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()


def csv_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*LABEL_COLUMNS, *HINT_COLUMNS])
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def test_template_lists_label_columns_then_hints_and_joins_lists() -> None:
    text = label_template(
        [
            {
                "model_version": "m1",
                "cluster_label_id": 3,
                "suggested_global_concepts": ["Maps", "Tables"],
                "x": 1,
            }
        ]
    )
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert list(row) == [*LABEL_COLUMNS, *HINT_COLUMNS]
    assert row["suggested_global_concepts"] == "Maps; Tables"
    assert row["panel_type"] == ""


def test_import_validates_rows_and_skips_unlabelled_ones() -> None:
    text = csv_text(
        [
            {
                "model_version": "m1",
                "cluster_label_id": "0",
                "panel_type": "multiple",
                "panel_subtype": "multiple panels: images",
                "global_concepts": "clinical imaging",
                "local_concepts": "Magnetic Resonance; brain",
                "annotator": "ann",
            },
            {
                "model_version": "m1",
                "cluster_label_id": "1",
                "suggested_global_concepts": "Maps",
            },  # unlabelled
            {"model_version": "m1", "cluster_label_id": "2", "global_concepts": "Unicorns"},
            {"model_version": "m1", "cluster_label_id": "x", "global_concepts": "Maps"},
            {"model_version": "m1", "cluster_label_id": "99", "global_concepts": "Maps"},
            {"model_version": "", "cluster_label_id": "3", "global_concepts": "Maps"},
        ]
    )
    known = {("m1", i) for i in range(4)}
    labels, rejected = parse_label_csv(text, TAXONOMY, known)
    [label] = labels
    assert (label.model_version, label.cluster_label_id, label.annotator) == ("m1", 0, "ann")
    assert label.label.global_concepts == ("Clinical Imaging",)
    assert label.label.local_concepts == ("magnetic resonance", "brain")
    reasons = {r.line: r.reasons for r in rejected}
    assert set(reasons) == {4, 5, 6, 7}
    assert "unknown global concept 'Unicorns'" in reasons[4]
    assert "cluster_label_id 'x' is not a whole number" in reasons[5]
    assert "model 'm1' has no cluster 99" in reasons[6]
    assert "model_version is empty" in reasons[7]


def test_the_last_row_for_a_cluster_wins() -> None:
    text = csv_text(
        [
            {"model_version": "m", "cluster_label_id": "1", "global_concepts": "Maps"},
            {"model_version": "m", "cluster_label_id": "1", "global_concepts": "Tables"},
        ]
    )
    labels, _ = parse_label_csv(text, TAXONOMY)
    [label] = latest_per_cluster(labels)
    assert label.label.global_concepts == ("Tables",)


def test_a_csv_without_key_columns_is_an_error() -> None:
    with pytest.raises(ValueError, match="lacks the columns"):
        parse_label_csv("cluster,concepts\n1,Maps\n", TAXONOMY)
