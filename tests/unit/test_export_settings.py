"""The export config section: defaults, validation, what the manifest compares."""

from __future__ import annotations

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.export.settings import ExportConfigError, settings_from_config


def test_defaults() -> None:
    s = settings_from_config(load_config())
    assert s.subsets == ("commercial", "noncommercial", "other")
    assert (s.format, s.samples_per_shard, s.min_image_side) == ("native", 10000, 64)
    assert s.canonical_only and s.exclude_retracted and s.exclude_third_party
    assert not s.filters_concepts


def test_concepts_are_normalised_and_placement_is_not_content() -> None:
    s = settings_from_config(
        load_config(
            ["export.concepts.include=[Microscopy, ' x-ray ']", "export.subsets=[other]", "export.out=/x"]
        )
    )
    assert s.concepts_include == ("microscopy", "x-ray") and s.filters_concepts
    content = s.content_config()
    assert "out" not in content and "subsets" not in content
    assert content["concepts_include"] == ["microscopy", "x-ray"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("export.subsets=[public]", "export.subsets"),
        ("export.format=tiff", "export.format"),
        ("export.samples_per_shard=0", "samples_per_shard"),
        ("export.caption_max_chars=0", "caption_max_chars"),
        ("export.max_side=0", "max_side"),
    ],
)
def test_bad_settings_are_refused_before_any_work(override: str, message: str) -> None:
    with pytest.raises(ExportConfigError, match=message):
        settings_from_config(load_config([override]))
