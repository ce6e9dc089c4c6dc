"""The pipeline: acquire, extract, enrich, dedup, annotate and export in order, in one Spark session.

Every job is incremental already; the pipeline makes "already done" visible and cheap by deciding, per
step, whether there is anything to do before starting it, and printing one line per step (ran, skipped or
failed, why, and its time). The decisions, as pure functions over plain values (tested without Spark):
- acquire: only with `pipeline.acquire=true`: fetching over the network is never implicit. When it runs,
  its own ledger decides what to fetch (only the server knows what is new).
- extract: runs when the landing zone lists a new or changed archive (the job's own `plan_work` against
  `sources`), or when `removals` moved since the last extract (it applies removals).
- enrich: only when `pubmed.root` holds `pubmed*.xml(.gz)` files; runs when one of them is new or changed
  (against `pubmed_files`), or when `articles`/`pubmed` moved since the last enrich.
- dedup, annotate: run when a table they read has another Delta version than the one their last successful
  run left it at (`runs`: the versions read, overridden by the versions the run itself wrote), or when
  their config section changed. annotate runs `annotate.step=all`; its four `runs` rows must be one
  complete, in-order sequence, and it always runs when an expert `annotate.sheets.labels_csv` is given (a
  file the lake cannot version) or `annotate.refit=true`. annotate is configured unless it names the
  dinov2 embedder without `annotate.dinov2.weights_path`.
- export: judged, as the export job itself judges it, from each subset folder's record of the tables'
  versions and the export config (never from `runs`): skipped when every subset is complete.
Enrich runs before dedup: it rewrites `articles`, which dedup reads, so the other order would make the
next pipeline run redo dedup.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import SparkSession

    from biomedica_spark.lake.delta_io import Lake

STEPS = ("acquire", "extract", "enrich", "dedup", "annotate", "export")
ANNOTATE_JOBS = ("annotate.embed", "annotate.cluster", "annotate.sheets", "annotate.propagate")


@dataclass(frozen=True)
class PipelineSettings:
    steps: tuple[str, ...]  # in pipeline order, whatever order the config listed them in
    acquire: bool
    force: tuple[str, ...]


def select_steps(requested: Iterable[str], key: str = "pipeline.steps") -> tuple[str, ...]:
    """The requested steps in pipeline order; an unknown name is a config error."""
    wanted = [str(s) for s in requested]
    unknown = sorted(set(wanted) - set(STEPS))
    if unknown:
        raise SystemExit(f"{key}: unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
    return tuple(s for s in STEPS if s in wanted)


def settings_from_config(cfg: DictConfig) -> PipelineSettings:
    p = cfg.pipeline
    steps = select_steps(p.steps)
    if not steps:
        raise SystemExit(f"pipeline.steps is empty: name some of {', '.join(STEPS)}")
    return PipelineSettings(steps, bool(p.acquire), select_steps(p.force, "pipeline.force"))


@dataclass(frozen=True)
class Decision:
    run: bool
    reason: str


@dataclass(frozen=True)
class RunRecord:
    """What a successful `runs` row says about the lake around one job run."""

    run_id: str
    job: str
    started_at: dt.datetime
    config: Mapping[str, Any]
    versions_read: Mapping[str, int]
    versions_written: Mapping[str, int]

    def end_state(self) -> dict[str, int]:
        """The versions the run left its tables at: what it wrote, else what it read."""
        return {**self.versions_read, **self.versions_written}


def version_changes(before: Mapping[str, int], now: Mapping[str, int], tables: Iterable[str]) -> list[str]:
    """`table vA -> vB` for each of `tables` whose version differs (a missing table has none)."""

    def shown(version: int | None) -> str:
        return "none" if version is None else f"v{version}"

    return [
        f"{t} {shown(before.get(t))} -> {shown(now.get(t))}" for t in tables if before.get(t) != now.get(t)
    ]


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}"))
        return out
    return {prefix: value}


def config_changes(
    before: Mapping[str, Any], now: Mapping[str, Any], section: str, ignore: Collection[str] = ()
) -> list[str]:
    """Dotted keys of `section` whose value differs between two resolved configs (`ignore`d keys aside)."""
    old = _flatten(before.get(section, {}), section)
    new = _flatten(now.get(section, {}), section)
    skipped = {f"{section}.{key}" for key in ignore}
    return sorted(k for k in set(old) | set(new) if k not in skipped and old.get(k) != new.get(k))


def _versions_text(versions: Mapping[str, int], tables: Iterable[str]) -> str:
    return ", ".join(f"{t} v{versions[t]}" for t in tables if t in versions)


def judge_recompute(
    jobs: Sequence[str],
    inputs: Sequence[str],
    last: Mapping[str, RunRecord],
    current: Mapping[str, int],
    config_now: Mapping[str, Any],
    section: str,
    ignore: Collection[str] = (),
) -> Decision:
    """Whether a step that recomputes from whole tables (dedup, annotate) has anything to do.

    `jobs` are the `runs` job names one run of the step records, in order; `last` holds each job's latest
    successful run. Nothing to do when those runs form one in-order sequence, none of them read a table
    the sequence does not itself write at a version other than the current one, the last one left every
    input at its current version, and the step's config section is unchanged.
    """
    missing = [job for job in jobs if job not in last]
    if missing:
        return Decision(True, f"no successful {missing[0]} run yet")
    chain = [last[job] for job in jobs]
    for earlier, later in itertools.pairwise(chain):
        if later.started_at < earlier.started_at:
            return Decision(
                True, f"the last {later.job} ran before the last {earlier.job}: an incomplete run"
            )
    written = {t for run in chain for t in run.versions_written}
    external = [t for t in inputs if t not in written]
    for run in chain[:-1]:
        changed = version_changes(run.versions_read, current, external)
        if changed:
            return Decision(True, f"since {run.job} {run.run_id}: {', '.join(changed)}")
    final = chain[-1]
    changed = version_changes(final.end_state(), current, inputs)
    if changed:
        return Decision(True, f"since {final.job} {final.run_id}: {', '.join(changed)}")
    settings = config_changes(final.config, config_now, section, ignore)
    if settings:
        return Decision(True, f"config changed since {final.run_id}: {', '.join(settings)}")
    return Decision(
        False, f"inputs unchanged since {final.job} {final.run_id} ({_versions_text(current, inputs)})"
    )


def judge_listing(
    noun: str,
    pending: int,
    listed: int,
    last: RunRecord | None,
    current: Mapping[str, int],
    watched: Sequence[str],
) -> Decision:
    """Whether an incremental file job (extract, enrich) has work: a listed file it has not done yet, or a
    `watched` table that moved since its last successful run left it."""
    if last is None:
        return Decision(True, f"no successful run yet; {listed} {noun} listed")
    if pending:
        return Decision(True, f"{pending} of {listed} {noun} new or changed")
    changed = version_changes(last.end_state(), current, watched)
    if changed:
        return Decision(True, f"since {last.run_id}: {', '.join(changed)}")
    return Decision(False, f"all {listed} {noun} done by earlier runs; last run {last.run_id}")


def judge_export(statuses: Mapping[str, str], versions: Mapping[str, int], tables: Sequence[str]) -> Decision:
    """Export has nothing to do when every subset folder is complete for these table versions and config."""
    todo = {subset: status for subset, status in statuses.items() if status != "complete"}
    if todo:
        return Decision(True, ", ".join(f"{subset} {status}" for subset, status in todo.items()))
    return Decision(
        False, f"{', '.join(statuses)} complete for {_versions_text(versions, tables)} and this export config"
    )


def annotate_not_configured(embedder: str, weights_path: str | None) -> str | None:
    """Why annotate cannot run here (None: it can): dinov2 needs local weights, never downloaded."""
    if embedder == "dinov2" and not weights_path:
        return "not configured: annotate.embedder=dinov2 without annotate.dinov2.weights_path"
    return None


@dataclass
class StepOutcome:
    step: str
    action: str  # ran | skipped | failed | not run
    reason: str
    seconds: float = 0.0

    def line(self) -> str:
        return f"pipeline {self.step:<9} {self.action:<8} {self.seconds:7.1f} s  {self.reason}"


@dataclass
class PipelineResult:
    outcomes: list[StepOutcome] = field(default_factory=list)

    def action(self, step: str) -> str | None:
        return next((o.action for o in self.outcomes if o.step == step), None)


# --- Spark side: gather the facts the judges need, then run the steps ----------------------------------


def last_runs(lake: Lake, jobs: Sequence[str]) -> dict[str, RunRecord]:
    """The latest successful `runs` row of each job."""
    if not lake.exists("runs"):
        return {}
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    latest = Window.partitionBy("job").orderBy(F.col("started_at").desc(), F.col("run_id").desc())
    rows = (
        lake.read("runs")
        .where((F.col("status") == "ok") & F.col("job").isin(list(jobs)))
        .withColumn("_rank", F.row_number().over(latest))
        .where("_rank = 1")
        .collect()
    )
    return {
        row["job"]: RunRecord(
            run_id=row["run_id"],
            job=row["job"],
            started_at=row["started_at"],
            config=json.loads(row["config_json"] or "{}"),
            versions_read={k: int(v) for k, v in (row["table_versions_read"] or {}).items()},
            versions_written={k: int(v) for k, v in (row["table_versions_written"] or {}).items()},
        )
        for row in rows
    }


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The config as `runs.config_json` holds it (resolved, JSON-normalised)."""
    from biomedica_spark.config import to_container

    normalised: dict[str, Any] = json.loads(json.dumps(to_container(cfg), sort_keys=True, default=str))
    return normalised


def with_overrides(cfg: DictConfig, values: Mapping[str, Any]) -> DictConfig:
    from omegaconf import OmegaConf

    merged = OmegaConf.merge(cfg, OmegaConf.create(dict(values)))
    OmegaConf.set_readonly(merged, True)
    return merged  # type: ignore[return-value]


def annotate_config(cfg: DictConfig) -> DictConfig:
    return with_overrides(cfg, {"annotate": {"step": "all"}})


class Steps:
    """One pipeline run's deciders: each returns a Decision for its step."""

    def __init__(self, spark: SparkSession, cfg: DictConfig, settings: PipelineSettings) -> None:
        from biomedica_spark.lake.delta_io import Lake

        self.spark = spark
        self.cfg = cfg
        self.settings = settings
        self.lake = Lake(spark, cfg)

    def decide(self, step: str) -> Decision:
        return {
            "acquire": self.acquire,
            "extract": self.extract,
            "enrich": self.enrich,
            "dedup": self.dedup,
            "annotate": self.annotate,
            "export": self.export,
        }[step]()

    def acquire(self) -> Decision:
        if not self.settings.acquire:
            return Decision(False, "not configured: pipeline.acquire=false (fetching is never implicit)")
        return Decision(
            True, f"acquire.source={self.cfg.acquire.source}; the fetch ledger decides what is new"
        )

    def extract(self) -> Decision:
        from biomedica_spark.extract.job import list_landing, plan_work
        from biomedica_spark.lake.delta_io import absolute_uri
        from biomedica_spark.lake.fs import require_folder

        landing = absolute_uri(str(self.cfg.landing.root))
        require_folder(landing, "landing.root")
        if not self.lake.exists("sources"):
            return Decision(True, "no sources table yet")
        plan = plan_work(list_landing(self.spark, landing), self.lake.read("sources"))
        pending, listed = self._pending(plan)
        watched = ("removals",)
        last = last_runs(self.lake, ["extract"]).get("extract")
        return judge_listing("archives", pending, listed, last, self.lake.versions(watched), watched)

    def enrich(self) -> Decision:
        import fsspec
        from pyspark.sql import functions as F

        from biomedica_spark.enrich.job import PUBMED_FILE_PATTERN
        from biomedica_spark.extract.job import list_landing, plan_work
        from biomedica_spark.lake.delta_io import absolute_uri

        root = absolute_uri(str(self.cfg.pubmed.root))
        fs, local = fsspec.core.url_to_fs(root)
        if not fs.isdir(local):
            return Decision(False, f"not configured: pubmed.root {root} does not exist")
        listing = list_landing(self.spark, root).where(F.col("path").rlike(PUBMED_FILE_PATTERN))
        if not listing.limit(1).count():
            return Decision(False, f"not configured: no pubmed*.xml(.gz) files under {root}")
        if not self.lake.exists("pubmed_files"):
            return Decision(True, "no pubmed_files table yet")
        done = self.lake.read("pubmed_files").select(
            F.col("path").alias("source_path"),
            "size",
            "mtime",
            F.lit(None).cast("string").alias("content_sha256"),
        )
        pending, listed = self._pending(plan_work(listing, done))
        watched = ("articles", "pubmed")
        last = last_runs(self.lake, ["enrich"]).get("enrich")
        return judge_listing("pubmed files", pending, listed, last, self.lake.versions(watched), watched)

    @staticmethod
    def _pending(plan: Any) -> tuple[int, int]:
        from pyspark.sql import functions as F

        row = plan.agg(
            F.count(F.lit(1)).alias("listed"),
            F.sum(F.when(F.col("action") != "done", 1).otherwise(0)).alias("n"),
        ).first()
        return (int(row["n"] or 0), int(row["listed"])) if row else (0, 0)

    def dedup(self) -> Decision:
        from biomedica_spark.dedup.job import DEDUP_READS

        return judge_recompute(
            ["dedup"],
            DEDUP_READS,
            last_runs(self.lake, ["dedup"]),
            self.lake.versions(DEDUP_READS),
            resolved(self.cfg),
            "dedup",
        )

    def annotate(self) -> Decision:
        from biomedica_spark.annotate.job import ANNOTATE_TABLES, INPUT_TABLES

        a = self.cfg.annotate
        unconfigured = annotate_not_configured(str(a.embedder), a.dinov2.weights_path)
        if unconfigured:
            return Decision(False, unconfigured)
        if a.sheets.labels_csv:
            return Decision(True, f"annotate.sheets.labels_csv={a.sheets.labels_csv} to import")
        if a.refit:
            return Decision(True, "annotate.refit=true")
        inputs = (*INPUT_TABLES, *ANNOTATE_TABLES)
        return judge_recompute(
            ANNOTATE_JOBS,
            inputs,
            last_runs(self.lake, ANNOTATE_JOBS),
            self.lake.versions(inputs),
            resolved(annotate_config(self.cfg)),
            "annotate",
            ignore=("step",),
        )

    def export(self) -> Decision:
        import fsspec

        from biomedica_spark import __version__
        from biomedica_spark.export.job import EXPORT_READS
        from biomedica_spark.export.settings import settings_from_config as export_settings
        from biomedica_spark.export.state import ExportConflict, ExportRecord, subset_status

        missing = [t for t in EXPORT_READS if not self.lake.exists(t)]
        if missing:
            return Decision(True, f"no {', '.join(missing)} table yet")
        settings = export_settings(self.cfg)
        versions = self.lake.versions(EXPORT_READS)
        fs, out_root = fsspec.core.url_to_fs(settings.out)
        statuses: dict[str, str] = {}
        for subset in settings.subsets:
            record = ExportRecord(subset, settings.content_config(), versions, __version__)
            try:
                statuses[subset] = subset_status(fs, f"{out_root.rstrip('/')}/{subset}", record).value
            except ExportConflict:
                # The export job refuses it with the differences spelled out: let it say so.
                statuses[subset] = "conflicting"
        return judge_export(statuses, versions, EXPORT_READS)


def export_patterns(cfg: DictConfig) -> list[str]:
    """The `--train-data` pattern of each complete subset (printed when export is skipped)."""
    import fsspec

    from biomedica_spark.export.settings import settings_from_config as export_settings
    from biomedica_spark.export.shards import brace_pattern
    from biomedica_spark.export.state import MANIFEST

    settings = export_settings(cfg)
    fs, out_root = fsspec.core.url_to_fs(settings.out)
    shown_root = settings.out.rstrip("/") if "://" in settings.out else out_root.rstrip("/")
    lines = []
    for subset in settings.subsets:
        manifest = json.loads(fs.cat_file(f"{out_root.rstrip('/')}/{subset}/{MANIFEST}"))
        shards, samples = len(manifest["shards"]), int(manifest["total_samples"])
        lines.append(f"{subset}: {samples} samples in {shards} shards (unchanged)")
        if shards:
            lines.append(f"  --train-data '{brace_pattern(f'{shown_root}/{subset}', shards)}'")
    return lines


def run_pipeline(spark: SparkSession, cfg: DictConfig, echo: Callable[[str], None] = print) -> PipelineResult:
    """Run the configured steps in order; a failing step stops the pipeline (its error is re-raised)."""
    from biomedica_spark.cli import JOBS

    settings = settings_from_config(cfg)
    steps = Steps(spark, cfg, settings)
    result = PipelineResult()
    started = time.perf_counter()
    for step in STEPS:
        if step not in settings.steps:
            result.outcomes.append(StepOutcome(step, "skipped", "not in pipeline.steps"))
            echo(result.outcomes[-1].line())
            continue
        t0 = time.perf_counter()
        outcome = StepOutcome(step, "failed", "")
        result.outcomes.append(outcome)
        try:
            decision = steps.decide(step)
            if step in settings.force and not decision.run:
                decision = Decision(True, f"forced by pipeline.force ({decision.reason})")
            outcome.reason = decision.reason
            if decision.run:
                echo(f"pipeline {step}: running ({decision.reason})")
                JOBS[step](spark, annotate_config(cfg) if step == "annotate" else cfg)
                outcome.action = "ran"
            else:
                outcome.action = "skipped"
                if step == "export":
                    echo("\n".join(export_patterns(cfg)))
        except (Exception, SystemExit) as error:
            outcome.reason = f"{type(error).__name__}: {error}"
            outcome.seconds = time.perf_counter() - t0
            echo(outcome.line())
            for later in STEPS[STEPS.index(step) + 1 :]:
                if later in settings.steps:
                    result.outcomes.append(StepOutcome(later, "not run", f"{step} failed"))
            _echo_summary(result, time.perf_counter() - started, echo)
            raise
        outcome.seconds = time.perf_counter() - t0
        echo(outcome.line())
    _echo_summary(result, time.perf_counter() - started, echo)
    return result


def _echo_summary(result: PipelineResult, seconds: float, echo: Callable[[str], None]) -> None:
    echo(f"\npipeline summary ({seconds:.1f} s)")
    for outcome in result.outcomes:
        echo(outcome.line())
