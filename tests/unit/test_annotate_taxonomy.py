"""The taxonomy file: the shipped BIOMEDICA one loads with its 16/119 concepts; malformed files and bad
labels are refused with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomedica_spark.annotate.taxonomy import (
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
    split_names,
    validate_label,
)


@pytest.fixture(scope="module")
def taxonomy():  # type: ignore[no-untyped-def]
    return load_taxonomy()


def test_shipped_taxonomy_has_the_paper_counts(taxonomy) -> None:  # type: ignore[no-untyped-def]
    assert len(taxonomy.globals) == 16
    assert len(taxonomy.locals) == 119
    assert taxonomy.panel_types["multiple"] == (
        "multiple panels: images",
        "multiple panels: images & plots",
        "multiple panels: images & assays",
    )
    assert len(taxonomy.local_names("Plots and Charts")) == 34
    assert taxonomy.local_concept("QPCR").parent == "PCR"  # type: ignore[union-attr]


def test_label_is_canonicalised(taxonomy) -> None:  # type: ignore[no-untyped-def]
    label, problems = validate_label(
        taxonomy,
        " Multiple ",
        "multiple panels: images & plots",
        ["microscopy", "Microscopy"],
        ["confocal microscopy"],
    )
    assert problems == []
    assert label is not None
    assert (label.panel_type, label.panel_subtype) == ("multiple", "multiple panels: images & plots")
    assert label.global_concepts == ("Microscopy",)
    assert label.local_concepts == ("confocal microscopy",)


@pytest.mark.parametrize(
    ("panel", "subtype", "globals_", "locals_", "reason"),
    [
        ("triple", None, [], [], "unknown panel type"),
        ("single", "multiple panels: images", [], [], "is not one of"),
        (None, None, ["Telepathy"], [], "unknown global concept 'Telepathy'"),
        (None, None, ["Microscopy"], ["bar plot"], "needs its global concept 'Plots and Charts'"),
        (None, None, ["Maps"], ["atlas"], "unknown local concept 'atlas'"),
        (None, None, ["Plots and Charts"], ["Plots and Charts"], "unknown local concept"),
    ],
)
def test_bad_labels_are_refused_with_a_reason(taxonomy, panel, subtype, globals_, locals_, reason) -> None:  # type: ignore[no-untyped-def]
    label, problems = validate_label(taxonomy, panel, subtype, globals_, locals_)
    assert label is None
    assert any(reason in p for p in problems), problems


def test_split_names_accepts_semicolons_and_bars() -> None:
    assert split_names("Microscopy; Plots and Charts|Maps ;") == ["Microscopy", "Plots and Charts", "Maps"]
    assert split_names("") == [] and split_names(None) == []


GOOD = {
    "panel_types": {"single": ["single panel"]},
    "global_concepts": [{"name": "A", "local_concepts": ["a1", {"name": "a2", "synonyms": ["alpha"]}]}],
}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("panel_types"), "panel_types"),
        (lambda d: d.update(global_concepts=[]), "non-empty list"),
        (
            lambda d: d["global_concepts"].append(dict(d["global_concepts"][0])),
            "global concept 'A' appears twice",
        ),
        (lambda d: d["global_concepts"][0].update(local_concepts=[]), "needs a non-empty local_concepts"),
        (
            lambda d: d["global_concepts"][0]["local_concepts"].append("A1"),
            "local concept 'A1' appears twice",
        ),
        (lambda d: d["global_concepts"][0].update(name=" "), "has no name"),
        (lambda d: d["global_concepts"][0].update(synonyms="x"), "must be a list"),
    ],
)
def test_malformed_taxonomies_are_refused(mutate, message) -> None:  # type: ignore[no-untyped-def]
    import copy

    data = copy.deepcopy(GOOD)
    assert parse_taxonomy(copy.deepcopy(GOOD)).locals[1].synonyms == ("alpha",)
    mutate(data)
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(data)


def test_unreadable_file_is_a_taxonomy_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("global_concepts: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(bad)
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path / "missing.yaml")
