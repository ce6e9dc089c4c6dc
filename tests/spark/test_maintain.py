"""The maintain job on a real lake: OPTIMIZE compacts, a dry run changes nothing, VACUUM keeps the
versions inside its retention readable (and only those)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.lake.schemas import ddl
from biomedica_spark.maintain import run_maintain

pytestmark = [pytest.mark.spark, pytest.mark.delta]


def _maintain_overrides(*overrides: str) -> list[str]:
    # The `maintain` group joins conf/config.yaml's defaults list; until it does, compose it in with `+`.
    group = [] if "maintain" in load_config() else ["+maintain=default"]
    return [*group, *overrides]


def _append_sources(spark, lake: Lake, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` appends of one row each: one small file per commit, as incremental runs leave them."""
    now = dt.datetime(2026, 1, 1)
    for i in range(first, first + count):
        row = (f"s3://landing/PMC{i}.tar.gz", 100 + i, now, f"sha{i}", "tar.gz", 1, 1, 1, 0, "done", "r", now)
        lake.append("sources", spark.createDataFrame([row], ddl("sources")).coalesce(1))


def _data_files(table_dir: Path) -> set[str]:
    return {
        str(p.relative_to(table_dir)) for p in table_dir.rglob("*.parquet") if "_delta_log" not in p.parts
    }


def _paths(df) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r["source_path"] for r in df.select("source_path").collect())


def test_optimize_compacts_small_files_and_records_a_run(spark, lake_config) -> None:  # type: ignore[no-untyped-def]
    cfg = lake_config(*_maintain_overrides("maintain.optimize_min_files=2", "maintain.vacuum=false"))
    lake = Lake(spark, cfg)
    lake.ensure(["sources"])
    _append_sources(spark, lake, 0, 12)
    before = lake.detail("sources").files
    rows_before = _paths(lake.read("sources"))

    result = run_maintain(spark, cfg)

    (outcome,) = [o for o in result.tables if o.table == "sources"]
    assert before >= 12
    assert outcome.files_before == before and outcome.files_after == lake.detail("sources").files == 1
    assert outcome.optimize_removed == before and outcome.optimize_added == 1
    assert _paths(lake.read("sources")) == rows_before
    assert lake.detail("sources").properties["delta.checkpointInterval"] == "10"
    run = lake.read("runs").where(f"run_id = '{result.run_id}'").collect()
    assert [r["job"] for r in run] == ["maintain"]
    assert run[0]["counts"]["sources.files_after"] == 1
    assert run[0]["table_versions_written"]["sources"] > run[0]["table_versions_read"]["sources"]

    again = run_maintain(spark, cfg)  # nothing left to compact or set: no commit on `sources`
    assert [o.optimize_removed for o in again.tables if o.table == "sources"] == [0]
    assert lake.version("sources") == run[0]["table_versions_written"]["sources"]


def test_a_dry_run_reports_the_plan_and_changes_nothing(spark, lake_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    compact = lake_config(*_maintain_overrides("maintain.optimize_min_files=2", "maintain.vacuum=false"))
    lake = Lake(spark, compact)
    lake.ensure(["sources"])
    _append_sources(spark, lake, 0, 6)
    compacted = run_maintain(spark, compact)  # leaves the 6 small files behind as VACUUM candidates
    _append_sources(spark, lake, 6, 4)
    table_dir = tmp_path / "lake" / "sources"
    files_on_disk = _data_files(table_dir)
    versions = lake.versions(["sources", "runs"])

    dry = lake_config(
        *_maintain_overrides(
            "maintain.optimize_min_files=2",
            "maintain.dry_run=true",
            "maintain.retention_hours=0",
            "maintain.allow_short_retention=true",
        )
    )
    result = run_maintain(spark, dry)

    (outcome,) = [o for o in result.tables if o.table == "sources"]
    assert result.run_id is None and result.dry_run
    assert outcome.optimize_planned and outcome.files_before == outcome.files_after == 5
    removed = next(o.optimize_removed for o in compacted.tables if o.table == "sources")
    assert removed == 6 and outcome.vacuum_files >= removed  # locally with Hadoop's .crc checksums
    assert lake.versions(["sources", "runs"]) == versions
    assert _data_files(table_dir) == files_on_disk
    assert spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled", "true") == "true"


def test_vacuum_keeps_time_travel_inside_the_retention_window(spark, lake_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Timing-free: the default 30-day window holds every version of this test, a zero window none but
    # the current one (Delta itself places versions inside or outside a window by their removal time).
    only_sources = ("maintain.optimize_min_files=2", "maintain.tables=[sources]")
    lake = Lake(spark, lake_config(*_maintain_overrides(*only_sources)))
    lake.ensure(["sources"])
    _append_sources(spark, lake, 0, 4)
    run_maintain(spark, lake_config(*_maintain_overrides(*only_sources, "maintain.vacuum=false")))
    _append_sources(spark, lake, 4, 3)
    lake.optimize("sources")
    current = lake.version("sources")
    assert current is not None
    expected = {v: _paths(lake.read("sources", v)) for v in range(1, current + 1)}
    table_dir = tmp_path / "lake" / "sources"
    parquet_before = _data_files(table_dir)

    kept = run_maintain(spark, lake_config(*_maintain_overrides(*only_sources)))  # retention 720 h

    assert [(o.table, o.vacuum_files) for o in kept.tables] == [("sources", 0)]
    assert _data_files(table_dir) == parquet_before
    for version, paths in expected.items():
        assert _paths(lake.read("sources", version)) == paths, version

    zero = ("maintain.retention_hours=0", "maintain.allow_short_retention=true")
    dropped = run_maintain(spark, lake_config(*_maintain_overrides(*only_sources, *zero)))

    # 4 + 3 small files and the first compacted file (locally VACUUM also counts Hadoop's .crc files).
    assert dropped.tables[0].vacuum_files >= 8 and len(parquet_before - _data_files(table_dir)) == 8
    assert _paths(lake.read("sources")) == expected[current]
    with pytest.raises(Exception, match=r"(?i)not.*(found|exist)|FileNotFound|FILE_NOT_EXIST"):
        lake.read("sources", current - 1).collect()  # its files are gone
    assert spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled", "true") == "true"
