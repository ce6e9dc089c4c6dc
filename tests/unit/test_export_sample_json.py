"""The per-sample JSON builders: attribution, licence, concepts, compact deterministic bytes."""

from __future__ import annotations

import json

from biomedica_spark.export.sample_json import FORMATS, citation, encode_json, native_sample_json

ROW = {
    "key": "PMC123_2",
    "pair_key": "PMC123_2",
    "article_key": "PMC123",
    "pmcid": "PMC123",
    "pmid": "999",
    "doi": "10.1/x.y",
    "figure_id": "F2",
    "label": "Figure 2",
    "caption": "Cells.",
    "title": "A study of cells.",
    "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
    "journal": "J Cells",
    "pub_year": 2020,
    "article_type": "research-article",
    "license_code": "CC BY",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "license_subset": "commercial",
    "cluster_id": "abc",
    "image_sha256": "abc",
    "kind": "figure",
    "inline_refs": [{"paragraph": "As Fig. 2 shows", "section_title": None, "xref_text": "Fig. 2"}],
}


def test_native_json_carries_attribution_licence_and_size() -> None:
    sample = native_sample_json(ROW, 640, 480)
    assert sample["pmcid"] == "PMC123" and sample["doi"] == "10.1/x.y" and sample["pmid"] == "999"
    assert sample["license"] == {
        "code": "CC BY",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "subset": "commercial",
    }
    assert (sample["width"], sample["height"]) == (640, 480)
    assert sample["citation"] == (
        "Ada Lovelace, Alan Turing, Grace Hopper et al. A study of cells. J Cells (2020). doi:10.1/x.y"
    )
    assert sample["inline_refs"] == [{"paragraph": "As Fig. 2 shows", "xref_text": "Fig. 2"}]
    assert "concepts" not in sample  # annotate has not run
    assert all(v is not None for v in sample.values())


def test_concepts_appear_when_annotated() -> None:
    row = {
        **ROW,
        "panel_type": "microscopy",
        "global_concepts": ["cells"],
        "local_concepts": [],
        "cluster_label_id": 4,
        "concept_source": "cluster",
    }
    sample = native_sample_json(row, 1, 1)
    assert sample["concepts"] == {
        "panel_type": "microscopy",
        "global_concepts": ["cells"],
        "local_concepts": [],
        "cluster_label_id": 4,
        "concept_source": "cluster",
    }


def test_citation_without_authors_or_journal() -> None:
    assert citation(None, "Title.", None, 2001, None) == "Title. (2001)."
    assert citation(["Solo"], None, "J", None, None) == "Solo. J."


def test_encoding_is_compact_utf8_and_deterministic() -> None:
    data = encode_json(native_sample_json({**ROW, "title": "Zellen – Studie"}, 2, 3))
    assert b"\n" not in data and b'", "' not in data and b'": ' not in data
    assert "Zellen – Studie" in data.decode("utf-8")
    assert data == encode_json(json.loads(data))


def test_native_is_a_registered_format() -> None:
    assert FORMATS["native"] is native_sample_json
