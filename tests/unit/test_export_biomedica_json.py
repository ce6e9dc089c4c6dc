"""The BIOMEDICA-compatible sample JSON: every release key with the release's type, in every sample."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from biomedica_spark.export.biomedica_json import ADDED_KEYS, RELEASE_KEYS, biomedica_sample_json

FULL_ROW: dict[str, Any] = {
    "key": "PMC1_f1",
    "pmcid": "PMC1",
    "pmid": "123",
    "doi": "10.1/x",
    "figure_id": "f1",
    "title": "A study",
    "authors": ["Ann A", "Bob B"],
    "journal": "J Imaging",
    "pub_year": 2020,
    "pub_date": dt.date(2020, 3, 4),
    "license_code": "CC BY",
    "image_sha256": "ab" * 32,
    "graphic_href": "info:doi/10.1371/journal.pone.0046493.g001",
    "resolved_member": "PMC1/pone.0046493.g001.jpg",
    "inline_refs": [{"paragraph": "As Fig. 1 shows.", "section_title": "Results", "xref_text": "Fig. 1"}],
    "abstract": None,
    "pubmed_abstract": "BACKGROUND: Why.",
    "keywords": ["mri"],
    "subjects": ["Radiology"],
    "reference_pmids": ["11", "12"],
    "reference_dois": ["10.2/y"],
    "mesh_terms": [
        {"descriptor": "Humans", "descriptor_ui": "D006801", "major_topic": True, "qualifiers": []}
    ],
    "body_text": "The whole article.",
    "cluster_label_id": 17,
    "panel_type": "multiple panels: images & plots",
    "global_concepts": ["Clinical Imaging"],
    "local_concepts": ["magnetic resonance"],
}


def _assert_release_shape(sample: dict[str, Any]) -> None:
    expected = {**RELEASE_KEYS, **ADDED_KEYS}
    assert set(sample) == set(expected)
    for key, kind in expected.items():
        assert isinstance(sample[key], kind), (key, sample[key])


def test_a_full_row_fills_every_key_with_the_release_types() -> None:
    sample = biomedica_sample_json(FULL_ROW, 640, 480)
    _assert_release_shape(sample)
    assert sample["image_file_name"] == "pone.0046493.g001.jpg"
    assert sample["image_cluster_id"] == "journal.pone.0046493.g001"  # dots of a DOI stem kept
    assert sample["image_label_id"] == "17"
    assert (sample["image_panel_type"], sample["image_panel_subtype"]) == (
        "multiple",
        "multiple panels: images & plots",
    )
    assert sample["image_primary_label"] == ["Clinical Imaging"]
    assert sample["image_size"] == [640, 480]
    assert sample["image_set"] == ["pone.0046493.g001.jpg"]
    assert sample["image_context"] == {"journal.pone.0046493.g001": ["As Fig. 1 shows."]}
    assert sample["article_date"] == "1583280000"  # 2020-03-04T00:00:00Z
    assert sample["article_date_iso"] == "2020-03-04"
    assert sample["article_abstract"] == "BACKGROUND: Why."  # PubMed's when the JATS has none
    assert sample["article_mesh_terms"] == ["Humans"]
    assert sample["article_reference_ids"] == ["11", "12", "10.2/y"]
    assert sample["article_reference_count"] == 3
    assert sample["article_reference_list"] == []
    assert sample["article_text"] == ""  # whole-article copies only when asked for
    assert sample["article_pmid"] == "123"
    assert sample["article_citation"].startswith("Ann A, Bob B. A study.")


@pytest.mark.parametrize("missing", [*FULL_ROW.keys()])
def test_a_row_missing_any_value_still_has_every_key_and_type(missing: str) -> None:
    row = {**FULL_ROW, missing: None}
    _assert_release_shape(biomedica_sample_json(row, 10, 10))


def test_before_annotate_and_enrich_the_label_and_pubmed_keys_are_empty_not_absent() -> None:
    bare = {"key": "k", "pmcid": "PMC9", "graphic_href": "fig2", "image_sha256": "cd" * 32}
    sample = biomedica_sample_json(bare, 1, 2)
    _assert_release_shape(sample)
    assert sample["image_label_id"] == ""
    assert sample["image_primary_label"] == []
    assert sample["article_mesh_terms"] == []
    assert sample["image_context"] == {"fig2": []}


def test_whole_article_copies_carry_every_figure_and_the_text() -> None:
    figures = [
        {"file_name": "a.jpg", "stem": "a", "inline_refs": [{"paragraph": "See a."}]},
        {"file_name": "b.jpg", "stem": "b", "inline_refs": []},
    ]
    sample = biomedica_sample_json({**FULL_ROW, "article_figures": figures}, 5, 5)
    _assert_release_shape(sample)
    assert sample["image_set"] == ["a.jpg", "b.jpg"]
    assert sample["image_context"] == {"a": ["See a."], "b": []}
    assert sample["article_text"] == "The whole article."
