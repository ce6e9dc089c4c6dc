"""The `annotate` config section: defaults, derived paths, and refusals with the offending key."""

from __future__ import annotations

import pytest

from biomedica_spark.annotate.job import settings_from_config
from biomedica_spark.config import load_config


def settings(*overrides: str):  # type: ignore[no-untyped-def]
    return settings_from_config(load_config(list(overrides)), "/lake")


def test_defaults_follow_the_paper_and_live_under_the_lake() -> None:
    s = settings()
    assert (s.step, s.k, s.pca_components, s.refit) == ("embed", 2000, 25, False)
    assert (s.embedder.name, s.embedder.version) == ("handcrafted", "descriptor-v1")
    assert s.models_dir == "/lake/_models/annotate"
    assert s.sheets_dir == "/lake/_sheets/annotate"
    assert s.taxonomy_path.endswith("conf/taxonomy/biomedica.yaml")
    assert s.labels_csv is None and s.model_version is None


def test_overrides_reach_the_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    taxonomy = tmp_path / "mine.yaml"
    s = settings(
        "annotate.step=all",
        "annotate.k=12",
        "annotate.refit=true",
        f"annotate.taxonomy={taxonomy}",
        "annotate.models_dir=/volumes/models",
        "annotate.sheets.labels_csv=/tmp/labels.csv",
    )
    assert (s.step, s.k, s.refit, s.taxonomy_path) == ("all", 12, True, str(taxonomy))
    assert (s.models_dir, s.labels_csv) == ("/volumes/models", "/tmp/labels.csv")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("annotate.step=label", "annotate.step must be one of"),
        ("annotate.k=1", "annotate.k >= 2"),
        ("annotate.pca_components=0", "pca_components >= 1"),
        ("annotate.captions.min_confidence=1.5", "min_confidence must be in"),
        ("annotate.embedder=dinov2", "needs annotate.dinov2.weights_path"),
    ],
)
def test_bad_settings_are_refused(override: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings(override)
