"""Lake.version reads a path table's version from its log folder: it must agree with Delta's history."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomedica_spark.lake.delta_io import STAGED_COMMITS, Lake

pytestmark = [pytest.mark.spark, pytest.mark.delta]


def _history_version(spark, path: Path) -> int:  # type: ignore[no-untyped-def]
    from delta.tables import DeltaTable

    return int(DeltaTable.forPath(spark, str(path)).history(1).first()["version"])


def test_version_agrees_with_history_past_a_checkpoint(spark, lake_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(spark, lake_config())
    assert lake.version("sources") is None  # no table yet
    path = tmp_path / "lake" / "t"
    for i in range(12):  # Delta checkpoints at version 10 by default
        spark.range(i, i + 1).write.format("delta").mode("append").save(str(path))
    assert (path / "_delta_log" / "00000000000000000010.checkpoint.parquet").is_file()
    assert lake.version("t") == _history_version(spark, path) == 11
    assert lake.versions(["t", "sources"]) == {"t": 11}


def test_a_log_with_staged_commits_asks_delta(spark, lake_config, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lake = Lake(spark, lake_config())
    path = tmp_path / "lake" / "t"
    for i in range(3):
        spark.range(i, i + 1).write.format("delta").mode("append").save(str(path))
    staged = path / "_delta_log" / STAGED_COMMITS
    staged.mkdir(exist_ok=True)  # Delta 4 creates it empty; Delta 3 does not
    assert lake.version("t") == 2  # read from the listing
    (staged / "00000000000000000003.5c1a.json").write_text("")  # a coordinator's commit, not backfilled

    def listing_used(names: object) -> int:
        raise AssertionError("a coordinator's staged commits are not in the listing: ask Delta")

    monkeypatch.setattr("biomedica_spark.lake.delta_io.latest_commit_version", listing_used)
    assert lake.version("t") == 2
