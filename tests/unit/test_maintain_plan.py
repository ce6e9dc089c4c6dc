"""Maintenance planning without Spark: retention safety, property changes, which tables to compact."""

from __future__ import annotations

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.lake.delta_io import TableDetail
from biomedica_spark.maintain import (
    DELTA_MIN_RETENTION_HOURS,
    MaintainSettings,
    interval_hours,
    plan_table,
    properties_to_set,
    retention_floor_hours,
    settings_from_config,
)


def _settings(**changes: object) -> MaintainSettings:
    group = [] if "maintain" in load_config() else ["+maintain=default"]
    base = settings_from_config(load_config(group))
    return MaintainSettings(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("interval 30 days", 720.0),
        ("interval 1 week", 168.0),
        ("INTERVAL 36 HOURS", 36.0),
        ("90 minutes", 1.5),
    ],
)
def test_delta_intervals_convert_to_hours(text: str, hours: float) -> None:
    assert interval_hours(text) == pytest.approx(hours)


def test_a_malformed_interval_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a Delta interval"):
        interval_hours("30 fortnights")


def test_the_default_retention_keeps_thirty_days_and_passes_the_safety_floor() -> None:
    settings = _settings()
    assert settings.retention_hours == 720 and not settings.dry_run and not settings.allow_short_retention
    plan = plan_table("pairs", TableDetail(40, 10_000, {}), settings)
    assert plan.optimize
    assert plan.properties == settings.table_properties


def test_the_floor_is_deltas_week_or_the_tables_deleted_file_retention_if_longer() -> None:
    assert retention_floor_hours({}) == DELTA_MIN_RETENTION_HOURS
    assert retention_floor_hours({"delta.deletedFileRetentionDuration": "interval 2 days"}) == 168
    assert retention_floor_hours({"delta.deletedFileRetentionDuration": "interval 60 days"}) == 1440


def test_a_retention_below_the_floor_is_refused_unless_explicitly_allowed() -> None:
    short = _settings(retention_hours=24.0)
    with pytest.raises(ValueError, match=r"pairs: maintain.retention_hours=24 is below .* 720 h"):
        plan_table("pairs", TableDetail(3, 100, {}), short)
    allowed = _settings(retention_hours=24.0, allow_short_retention=True)
    assert plan_table("pairs", TableDetail(3, 100, {}), allowed).table == "pairs"


def test_the_configured_floor_applies_before_the_property_is_set() -> None:
    # The job sets delta.deletedFileRetentionDuration to 30 days, so 200 h would fail Delta's check later.
    with pytest.raises(ValueError, match="below Delta's safety floor of 720 h"):
        plan_table("runs", TableDetail(1, 1, {}), _settings(retention_hours=200.0))


def test_only_differing_properties_are_set_and_few_files_are_left_alone() -> None:
    wanted = {"delta.checkpointInterval": "10", "delta.logRetentionDuration": "interval 30 days"}
    current = {"delta.checkpointInterval": "10", "delta.logRetentionDuration": "interval 7 days"}
    assert properties_to_set(current, wanted) == {"delta.logRetentionDuration": "interval 30 days"}
    plan = plan_table("figures", TableDetail(15, 100, {}), _settings(optimize_min_files=16))
    assert not plan.optimize
    assert not plan_table("figures", TableDetail(99, 100, {}), _settings(optimize=False)).optimize


def test_unknown_tables_and_bad_numbers_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown tables"):
        _settings(tables=("figures", "figurs"))
    with pytest.raises(ValueError, match="optimize_min_files"):
        _settings(optimize_min_files=1)
    with pytest.raises(ValueError, match="must not be negative"):
        _settings(retention_hours=-1.0)


class _LakeThatFailsOn:
    """Stands in for Lake: records calls, and fails every call for one table."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.calls: list[tuple[str, str]] = []
        self.listing_tasks: int | None = None

    def _call(self, name: str, table: str) -> None:
        self.calls.append((name, table))
        if table == self.failing:
            raise RuntimeError("ConcurrentAppendException: lost the race\nstack...")

    def set_properties(self, table: str, properties: dict[str, str]) -> None:
        self._call("set_properties", table)

    def optimize(self, table: str) -> tuple[int, int]:
        self._call("optimize", table)
        return 20, 1

    def vacuum(
        self, table: str, hours: float, dry_run: bool, enforce_retention_check: bool, listing_tasks: int
    ) -> tuple[int, list]:
        self._call("vacuum", table)
        self.listing_tasks = listing_tasks
        return 0, []

    def detail(self, table: str) -> TableDetail:
        return TableDetail(1, 10, {})


def test_one_failing_table_is_reported_and_the_others_are_still_maintained() -> None:
    from biomedica_spark.maintain import MaintainResult, _maintain_table_or_report, summary_lines

    settings = _settings(optimize_min_files=2)
    lake = _LakeThatFailsOn("figures")
    outcomes = [
        _maintain_table_or_report(lake, plan_table(t, TableDetail(20, 10, {}), settings), settings)  # type: ignore[arg-type]
        for t in ("figures", "pairs")
    ]
    assert outcomes[0].error == "RuntimeError: ConcurrentAppendException: lost the race"
    assert outcomes[1].error is None and outcomes[1].optimize_removed == 20 and outcomes[1].files_after == 1
    assert ("vacuum", "pairs") in lake.calls
    lines = summary_lines(MaintainResult("r1", False, 720.0, outcomes))
    assert "FAILED: RuntimeError" in lines[1] and "did optimize: removed 20, added 1" in lines[2]


def test_vacuum_runs_with_the_configured_listing_tasks() -> None:
    from biomedica_spark.maintain import _maintain_table

    settings = _settings(vacuum_listing_tasks=4)
    lake = _LakeThatFailsOn("none")
    _maintain_table(lake, plan_table("pairs", TableDetail(1, 10, {}), settings), settings)  # type: ignore[arg-type]
    assert lake.listing_tasks == 4


def test_negative_vacuum_listing_tasks_are_refused() -> None:
    with pytest.raises(ValueError, match="vacuum_listing_tasks"):
        _settings(vacuum_listing_tasks=-1)
