"""The BIOMEDICA-compatible sample JSON: every release key with the release's type, in every sample."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
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
    # As the export's groupBy builds them: the figures rows of the article, in document order.
    figures = [
        {
            "ordinal": 0,
            "graphic_href": "a",
            "resolved_member": "PMC1/a.jpg",
            "inline_refs": [{"paragraph": "See a."}],
        },
        {"ordinal": 1, "graphic_href": "b.tif", "resolved_member": None, "inline_refs": []},
        {"ordinal": 2, "graphic_href": "c", "resolved_member": "PMC1/c.png", "inline_refs": None},
    ]
    sample = biomedica_sample_json({**FULL_ROW, "article_figures": figures}, 5, 5)
    _assert_release_shape(sample)
    assert sample["image_set"] == ["a.jpg", "b.tif", "c.png"]
    assert sample["image_context"] == {"a": ["See a."], "b": [], "c": []}
    assert sample["article_text"] == "The whole article."


@pytest.mark.parametrize(
    ("panel_type", "expected"),
    [
        ("single", ("single", "single panel")),  # what `pairs.panel_type` holds after annotate
        ("multiple", ("multiple", "")),  # the subtype is the expert's and not in `pairs`
        ("multiple panels: images & assays", ("multiple", "multiple panels: images & assays")),
        (None, ("", "")),
    ],
)
def test_panel_type_maps_to_the_release_pair(panel_type: str | None, expected: tuple[str, str]) -> None:
    sample = biomedica_sample_json({**FULL_ROW, "panel_type": panel_type}, 1, 1)
    assert (sample["image_panel_type"], sample["image_panel_subtype"]) == expected


def test_the_format_is_registered_with_its_columns_and_sidecar() -> None:
    from biomedica_spark.export.sample_json import FORMATS, format_columns
    from biomedica_spark.export.shards import SIDECARS

    assert FORMATS["biomedica"] is biomedica_sample_json
    assert set(SIDECARS) == set(FORMATS)
    assert format_columns("native") == ()
    assert "body_text" not in format_columns("biomedica")
    assert {"body_text", "article_figures"} <= set(format_columns("biomedica", whole_article=True))


def test_biomedica_sidecar_holds_the_key_and_the_scalar_json_keys(tmp_path: Path) -> None:
    import fsspec
    import pyarrow.parquet as pq
    from PIL import Image

    from biomedica_spark.export.shards import BIOMEDICA_SIDECAR_SCHEMA, SIDECARS, write_shard

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, "JPEG")
    image = buffer.getvalue()
    rows = [{**FULL_ROW, "caption": "A caption.", "image_bytes": image}]
    write_shard(
        fsspec.filesystem("file"), str(tmp_path), 0, rows, biomedica_sample_json, None, SIDECARS["biomedica"]
    )
    table = pq.read_table(tmp_path / "000000.parquet")
    assert table.schema.equals(BIOMEDICA_SIDECAR_SCHEMA)
    (row,) = table.to_pylist()
    assert row["key"] == "PMC1_f1" and row["article_pmid"] == "123" and row["article_reference_count"] == 3
    assert (row["extension"], row["width"], row["height"], row["image_bytes"]) == ("jpg", 32, 24, len(image))
    assert "article_text" not in row and "image_set" not in row


def _settings(*overrides: str):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.export.settings import settings_from_config

    return settings_from_config(load_config(list(overrides)))


def test_format_and_whole_article_are_content_config() -> None:
    native = _settings().content_config()
    assert native["format"] == "native" and "biomedica.whole_article" not in native  # native record unchanged
    plain = _settings("export.format=biomedica").content_config()
    whole = _settings("export.format=biomedica", "export.biomedica.whole_article=true").content_config()
    assert plain["format"] == "biomedica" and plain["biomedica.whole_article"] is False
    assert whole["biomedica.whole_article"] is True


def test_whole_article_without_the_biomedica_format_is_refused() -> None:
    from biomedica_spark.export.settings import ExportConfigError

    with pytest.raises(ExportConfigError, match=r"export\.biomedica\.whole_article"):
        _settings("export.biomedica.whole_article=true")
