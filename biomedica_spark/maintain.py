"""Table maintenance: OPTIMIZE, checkpoint and retention properties, VACUUM, over every table of the lake.

Incremental MERGEs and appends leave many small files; OPTIMIZE bin-packs them. Delta writes a log
checkpoint every `delta.checkpointInterval` commits on its own (open-source Delta has no command that
forces one), so this job sets that interval together with the retention properties time travel needs:
`delta.logRetentionDuration` (log entries, cleaned up at checkpoints) and
`delta.deletedFileRetentionDuration` (the floor of VACUUM's safety check, also for a VACUUM run by hand).
VACUUM then deletes only the data files no version inside `retention_hours` needs, so time travel to
any version of that window keeps working. A dry run prints the plan and commits nothing, not even a
`runs` row.

Every check that can fail (unknown table, retention below the safety floor) runs for all tables before
the first change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from biomedica_spark.lake import schemas
from biomedica_spark.lake.delta_io import Lake, TableDetail
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from omegaconf import DictConfig
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Delta refuses VACUUM below this (or below a table's delta.deletedFileRetentionDuration, if longer)
# unless spark.databricks.delta.retentionDurationCheck.enabled is false.
DELTA_MIN_RETENTION_HOURS = 168.0
DELETED_FILE_RETENTION = "delta.deletedFileRetentionDuration"
_HOURS_PER_UNIT = {
    "week": 168.0,
    "day": 24.0,
    "hour": 1.0,
    "minute": 1 / 60,
    "second": 1 / 3600,
    "millisecond": 1 / 3_600_000,
}


@dataclass(frozen=True)
class MaintainSettings:
    tables: tuple[str, ...]
    dry_run: bool
    optimize: bool
    optimize_min_files: int
    vacuum: bool
    retention_hours: float
    allow_short_retention: bool
    table_properties: dict[str, str]
    vacuum_listing_tasks: int = 0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.tables) - set(schemas.TABLES))
        if unknown:
            raise ValueError(
                f"maintain.tables names unknown tables {unknown}; known: {sorted(schemas.TABLES)}"
            )
        if self.retention_hours < 0:
            raise ValueError(f"maintain.retention_hours must not be negative, got {self.retention_hours}")
        if self.vacuum_listing_tasks < 0:
            raise ValueError(
                f"maintain.vacuum_listing_tasks must be 0 (the session's default) or more, "
                f"got {self.vacuum_listing_tasks}"
            )
        if self.optimize_min_files < 2:
            raise ValueError(f"maintain.optimize_min_files must be at least 2, got {self.optimize_min_files}")


def settings_from_config(cfg: DictConfig) -> MaintainSettings:
    m = cfg.get("maintain")
    if m is None:
        raise SystemExit(
            "the config has no `maintain` section: add `- maintain: default` to the defaults list of "
            "conf/config.yaml, or pass +maintain=default"
        )
    return MaintainSettings(
        tables=tuple(str(t) for t in m.tables),
        dry_run=bool(m.dry_run),
        optimize=bool(m.optimize),
        optimize_min_files=int(m.optimize_min_files),
        vacuum=bool(m.vacuum),
        retention_hours=float(m.retention_hours),
        allow_short_retention=bool(m.allow_short_retention),
        table_properties={str(k): str(v) for k, v in m.table_properties.items()},
        vacuum_listing_tasks=int(m.get("vacuum_listing_tasks", 0)),
    )


def interval_hours(interval: str) -> float:
    """A Delta duration property ("interval 30 days", "interval 1 week") in hours."""
    match = re.fullmatch(
        r"\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*(week|day|hour|minute|second|millisecond)s?\s*",
        interval.lower(),
    )
    if match is None:
        raise ValueError(f"not a Delta interval such as 'interval 30 days': {interval!r}")
    return float(match.group(1)) * _HOURS_PER_UNIT[match.group(2)]


def retention_floor_hours(properties: Mapping[str, str]) -> float:
    """The shortest retention Delta's VACUUM safety check accepts for a table with these properties."""
    configured = properties.get(DELETED_FILE_RETENTION)
    floor = interval_hours(configured) if configured else 0.0
    return max(DELTA_MIN_RETENTION_HOURS, floor)


def check_retention(table: str, retention_hours: float, floor_hours: float, allow_short: bool) -> None:
    if retention_hours < floor_hours and not allow_short:
        raise ValueError(
            f"{table}: maintain.retention_hours={retention_hours:g} is below Delta's safety floor of "
            f"{floor_hours:g} h; versions older than the retention stop being readable. Set "
            "maintain.allow_short_retention=true to do it anyway."
        )


def properties_to_set(current: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in wanted.items() if current.get(key) != value}


def should_optimize(files: int, settings: MaintainSettings) -> bool:
    return settings.optimize and files >= settings.optimize_min_files


@dataclass(frozen=True)
class TablePlan:
    table: str
    detail: TableDetail
    optimize: bool
    properties: dict[str, str]


def plan_table(table: str, detail: TableDetail, settings: MaintainSettings) -> TablePlan:
    """What maintenance does to one table; raises when the retention is unsafe for it."""
    if settings.vacuum:
        floor = retention_floor_hours({**detail.properties, **settings.table_properties})
        check_retention(table, settings.retention_hours, floor, settings.allow_short_retention)
    return TablePlan(
        table=table,
        detail=detail,
        optimize=should_optimize(detail.files, settings),
        properties=properties_to_set(detail.properties, settings.table_properties),
    )


@dataclass
class TableOutcome:
    table: str
    files_before: int
    files_after: int
    optimize_planned: bool = False
    optimize_removed: int = 0
    optimize_added: int = 0
    properties_set: dict[str, str] = field(default_factory=dict)
    vacuum_files: int = 0
    vacuum_sample: list[str] = field(default_factory=list)
    error: str | None = None  # the table's maintenance failed; the other tables still ran


@dataclass
class MaintainResult:
    run_id: str | None  # None for a dry run, which records no run
    dry_run: bool
    retention_hours: float
    tables: list[TableOutcome]


def run_maintain(spark: SparkSession, cfg: DictConfig) -> MaintainResult:
    settings = settings_from_config(cfg)
    lake = Lake(spark, cfg)
    candidates = settings.tables or tuple(schemas.TABLES)
    tables = [t for t in candidates if lake.exists(t)]
    plans = [plan_table(t, lake.detail(t), settings) for t in tables]
    recorder = None if settings.dry_run else RunRecorder(lake, "maintain", cfg)
    if recorder is not None:
        recorder.read_versions(tables)
    outcomes = [_maintain_table_or_report(lake, plan, settings) for plan in plans]
    failed = [o.table for o in outcomes if o.error]
    if recorder is not None:
        for outcome in outcomes:
            for name, value in outcome_counts(outcome).items():
                recorder.count(name, value)
        message = f"maintenance failed for {failed}" if failed else None
        recorder.finish(tables, status="failed" if failed else "ok", message=message)
    return MaintainResult(
        run_id=recorder.run_id if recorder else None,
        dry_run=settings.dry_run,
        retention_hours=settings.retention_hours,
        tables=outcomes,
    )


def _maintain_table_or_report(lake: Lake, plan: TablePlan, settings: MaintainSettings) -> TableOutcome:
    """One table's failure (a commit race lost too often, a vanished file) must not stop the others."""
    try:
        return _maintain_table(lake, plan, settings)
    except Exception as error:
        log.exception("maintain: %s failed", plan.table)
        failed = TableOutcome(plan.table, files_before=plan.detail.files, files_after=plan.detail.files)
        first_line = next(iter(str(error).splitlines()), "")
        failed.error = f"{type(error).__name__}: {first_line[:300]}"
        return failed


def _maintain_table(lake: Lake, plan: TablePlan, settings: MaintainSettings) -> TableOutcome:
    outcome = TableOutcome(
        plan.table,
        files_before=plan.detail.files,
        files_after=plan.detail.files,
        optimize_planned=plan.optimize,
        properties_set=plan.properties,
    )
    if not settings.dry_run:
        lake.set_properties(plan.table, plan.properties)
        if plan.optimize:
            outcome.optimize_removed, outcome.optimize_added = lake.optimize(plan.table)
    if settings.vacuum:
        outcome.vacuum_files, outcome.vacuum_sample = lake.vacuum(
            plan.table,
            settings.retention_hours,
            dry_run=settings.dry_run,
            enforce_retention_check=not settings.allow_short_retention,
            listing_tasks=settings.vacuum_listing_tasks,
        )
    if not settings.dry_run:
        outcome.files_after = lake.detail(plan.table).files
    return outcome


def outcome_counts(outcome: TableOutcome) -> dict[str, int]:
    """A table's outcome as `runs.counts` entries."""
    t = outcome.table
    return {
        f"{t}.files_before": outcome.files_before,
        f"{t}.files_after": outcome.files_after,
        f"{t}.optimize_removed": outcome.optimize_removed,
        f"{t}.optimize_added": outcome.optimize_added,
        f"{t}.vacuum_deleted": outcome.vacuum_files,
        f"{t}.properties_set": len(outcome.properties_set),
    }


def summary_lines(result: MaintainResult) -> list[str]:
    verb = "would" if result.dry_run else "did"
    head = "maintain (dry run: nothing changed)" if result.dry_run else f"maintain run {result.run_id}"
    lines = [f"{head}: {len(result.tables)} tables, VACUUM retention {result.retention_hours:g} h"]
    for o in result.tables:
        parts = [f"{o.files_before} -> {o.files_after} files"]
        if o.optimize_planned:
            done = f": removed {o.optimize_removed}, added {o.optimize_added}" if not result.dry_run else ""
            parts.append(f"{verb} optimize{done}")
        if o.vacuum_files:
            parts.append(f"vacuum {verb} delete {o.vacuum_files} files (e.g. {o.vacuum_sample[0]})")
        if o.properties_set:
            props = ", ".join(f"{k}={v}" for k, v in sorted(o.properties_set.items()))
            parts.append(f"{verb} set {props}")
        if o.error:
            parts.append(f"FAILED: {o.error}")
        lines.append(f"  {o.table}: " + "; ".join(parts))
    return lines
