"""jobs/pipeline.py on a small generated corpus: a first run runs every configured step; a second run
skips everything and commits nothing; new archives rerun the steps downstream of them; pipeline.force
and a changed config section rerun a step; a failing step stops the pipeline with its error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.export.state import ExportConflict
from biomedica_spark.lake import schemas
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.pipeline import run_pipeline
from biomedica_spark.samples.generator import generate_corpus

pytestmark = [pytest.mark.spark, pytest.mark.delta]


def _config(base: Path, *extra: str):  # type: ignore[no-untyped-def]
    return load_config(
        [
            f"landing.root={base / 'landing'}",
            f"lake.root={base / 'lake'}",
            f"export.out={base / 'export'}",
            f"pubmed.root={base / 'pubmed'}",
            "spark.master='local[2]'",
            "annotate.k=4",
            "annotate.pca_components=3",
            *extra,
        ]
    )


def _actions(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {o.step: o.action for o in result.outcomes}


@dataclass
class FirstRun:
    base: Path
    result: Any
    lines: list[str]


@pytest.fixture(scope="module")
def first_run(spark, tmp_path_factory: pytest.TempPathFactory) -> FirstRun:  # type: ignore[no-untyped-def]
    """The pipeline's first run on a fresh lake; the Spark 3.5 lane runs only the test of it."""
    base = tmp_path_factory.mktemp("pipeline")
    generate_corpus(base / "landing", profile="small", archives=4, seed=3)
    lines: list[str] = []
    result = run_pipeline(spark, _config(base), echo=lines.append)
    return FirstRun(base, result, lines)


def test_a_first_run_runs_every_configured_step(spark, first_run: FirstRun) -> None:
    assert _actions(first_run.result) == {
        "acquire": "skipped",
        "extract": "ran",
        "enrich": "skipped",
        "dedup": "ran",
        "annotate": "ran",
        "export": "ran",
    }
    assert any("pipeline enrich" in line and "pubmed.root" in line for line in first_run.lines)
    lake = Lake(spark, _config(first_run.base))
    jobs = {r["job"] for r in lake.read("runs").select("job").distinct().collect()}
    assert {"extract", "dedup", "annotate.embed", "annotate.propagate", "export"} <= jobs
    pairs = lake.read("pairs")
    assert pairs.count() > 0 and pairs.where("cluster_label_id IS NOT NULL").count() > 0


def test_then_skips_then_reruns_what_changed(spark, first_run: FirstRun) -> None:
    base = first_run.base  # the first run's landing, lake and export folder
    cfg = _config(base)
    lake = Lake(spark, cfg)
    versions = lake.versions(schemas.TABLES)
    lines: list[str] = []
    second = run_pipeline(spark, cfg, echo=lines.append)
    assert set(_actions(second).values()) == {"skipped"}
    assert lake.versions(schemas.TABLES) == versions  # not even a `runs` row
    dedup_line = next(line for line in lines if line.startswith("pipeline dedup"))
    assert "inputs unchanged since dedup" in dedup_line and "images v" in dedup_line
    assert any("--train-data" in line for line in lines)  # the skipped export still shows its shards

    # pipeline.force reruns a step that would be skipped (extract: the cheapest, with nothing new to
    # read); a changed config section reruns one too.
    only_extract = "pipeline.steps=[extract]"
    forced = run_pipeline(spark, _config(base, only_extract, "pipeline.force=[extract]"), echo=lines.append)
    assert _actions(forced)["extract"] == "ran" and _actions(forced)["dedup"] == "skipped"
    assert "forced by pipeline.force" in next(o.reason for o in forced.outcomes if o.step == "extract")
    assert "not in pipeline.steps" in next(o.reason for o in forced.outcomes if o.step == "dedup")
    only_dedup = "pipeline.steps=[dedup]"
    lines.clear()
    changed = run_pipeline(
        spark, _config(base, only_dedup, "dedup.phash64_max_distance=6"), echo=lines.append
    )
    assert _actions(changed)["dedup"] == "ran"
    assert any("config changed" in line and "dedup.phash64_max_distance" in line for line in lines)

    # New archives: extract and everything downstream of it run again; the old export folder holds
    # shards of the previous table versions, which the export refuses to mix: the pipeline stops there.
    generate_corpus(base / "landing" / "more", profile="small", archives=2, seed=11, broken=False)
    lines.clear()
    with pytest.raises(ExportConflict):
        run_pipeline(spark, cfg, echo=lines.append)
    assert [line.split()[1:3] for line in lines if line.split()[4:5] == ["s"]][:6] == [
        ["acquire", "skipped"],
        ["extract", "ran"],
        ["enrich", "skipped"],
        ["dedup", "ran"],
        ["annotate", "ran"],
        ["export", "failed"],
    ]

    # A fresh export folder: only export has work left.
    fresh = run_pipeline(spark, _config(base, f"export.out={base / 'export2'}"), echo=lambda _: None)
    assert _actions(fresh) == {
        "acquire": "skipped",
        "extract": "skipped",
        "enrich": "skipped",
        "dedup": "skipped",
        "annotate": "skipped",
        "export": "ran",
    }
    assert list((base / "export2").glob("*/manifest.json"))
