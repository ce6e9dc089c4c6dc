"""The acquire job on Spark: enumerate, decide, fetch, record, in chunks of articles.

```
driver: enumerate (file list | metadata/ listing | inventory | PMCIDs) ─► spilled to Parquet (listing.py)
        ─► join fetch_ledger ─► states
per chunk of articles (acquire.batch_items):
   mapInArrow: version JSONs that are new or changed (cloud) ─► staged
   groupBy(pmcid).applyInPandas(decide_article) ─► fetch / up to date / not current / excluded / removal
   mapInArrow: fetch + verify + write to landing (`_tmp_acquire`, then rename) ─► staged outcomes
   MERGE fetch_ledger, then removals ─► progress line
runs row
```
Each task fetches with a bounded thread pool (`acquire.concurrency`) and its share of the global request
rate (`retry.per_task_rate`). A crash loses at most the ledger rows of one chunk: its archives are in the
landing zone already, and the re-run fetches them again (same bytes, same path).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biomedica_spark.acquire import cloud as cloud_meta
from biomedica_spark.acquire.fetch import (
    CloudOptions,
    Fetcher,
    fetch_cloud_version,
    fetch_legacy_package,
    fetch_metadata,
    outcome_fields,
    run_bounded,
)
from biomedica_spark.acquire.landing import TMP_FOLDER, LandingWriter
from biomedica_spark.acquire.listing import LISTED_DDL, ListedSpill, enumerate_source, requested_pmcid
from biomedica_spark.acquire.retry import RateLimiter, per_task_rate
from biomedica_spark.acquire.selection import Action, VersionState, decide_article
from biomedica_spark.acquire.settings import AcquireSettings, make_transport, settings_from_config
from biomedica_spark.lake import staging
from biomedica_spark.lake.arrow import flat_ddl_arrow_schema, record_batches
from biomedica_spark.lake.delta_io import Lake, absolute_uri
from biomedica_spark.lake.schemas import ddl
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

ACQUIRE_TABLES = ("fetch_ledger", "removals", "quarantine", "runs")

# The JSON stage's output: the fresh fields of one version, or why its JSON could not be read.
METADATA_DDL = """
pmcid string, version int, json binary, license_code string, license_subset string,
is_open_access boolean, is_manuscript boolean, is_retracted boolean, status string, attempts int,
error_kind string, error string
"""
DECISION_DDL = "pmcid string, version int, action string, reason string, removal string"
FETCH_INPUT_DDL = (
    "pmcid string, version int, remote_key string, last_modified timestamp, etag string, json binary"
)
OUTCOME_DDL = """
pmcid string, version int, status string, attempts int, error_kind string, error string, md5 string,
bytes bigint, files int, landing_path string, fetched_at timestamp
"""
METADATA_FAILED = "metadata_failed"  # a version's JSON could not be read: its article waits for the next run


@dataclass
class AcquireResult:
    run_id: str
    listed: int
    articles_considered: int
    metadata_read: int
    fetched: int
    failed: int
    bytes: int
    removed: int
    lifted: int


def run_acquire(spark: SparkSession, cfg: DictConfig) -> AcquireResult:
    settings = settings_from_config(cfg)
    lake = Lake(spark, cfg)
    lake.ensure(ACQUIRE_TABLES)
    recorder = RunRecorder(lake, "acquire", cfg)
    recorder.read_versions(["fetch_ledger", "removals"])
    landing_root = absolute_uri(str(cfg.landing.root))
    # Temporary folders of crashed runs: never listed by extract (`_` names), but they should not pile up.
    staging.remove_stale(f"{landing_root}/{TMP_FOLDER}")
    staging.clear_stale(lake, "acquire")
    driver_fetcher = Fetcher(
        make_transport(settings), RateLimiter(settings.requests_per_second, settings.burst), settings.backoff
    )

    stage = staging.stage_path(lake, "acquire", recorder.run_id)
    with recorder.timed("enumerate"):
        spill = ListedSpill(f"{stage}/listed")
        complete, bad = enumerate_source(driver_fetcher, settings, recorder.run_id, spill)
        n_listed = spill.close()
    recorder.count("listed", n_listed)
    if bad:
        lake.insert_new("quarantine", spark.createDataFrame(bad, ddl("quarantine")))
        recorder.count("quarantined", len(bad))
    listed = spark.read.schema(LISTED_DDL).parquet(spill.uri)
    states = _snapshot(spark, build_states(spark, lake, settings, listed, complete), f"{stage}/all")
    chunks = _snapshot(spark, work_chunks(states, settings), f"{stage}/chunks")
    last_chunk = chunks.agg({"chunk": "max"}).first()[0]  # type: ignore[index]
    n_chunks = 0 if last_chunk is None else int(last_chunk) + 1
    considered = chunks.count()
    recorder.count("articles_considered", considered)

    progress = Progress(considered, settings.log_interval_s)
    totals = {"articles": 0, "metadata": 0, "fetched": 0, "failed": 0, "bytes": 0, "removed": 0, "lifted": 0}
    remaining = settings.limit
    landing_writer = LandingWriter(landing_root, recorder.run_id)  # the tasks' writes; cleaned here
    progress.start()
    try:
        for chunk in range(n_chunks):
            if remaining is not None and remaining <= 0:
                break
            pmcids = chunks.where(f"chunk = {chunk}").select("pmcid")
            chunk_totals = _process_chunk(
                spark, lake, settings, recorder.run_id, landing_root, states.join(pmcids, "pmcid"), remaining
            )
            for key, value in chunk_totals.items():
                totals[key] += value
            if remaining is not None:
                remaining -= chunk_totals["fetched"] + chunk_totals["failed"]
            progress.advance(chunk_totals["articles"], chunk_totals["fetched"], chunk_totals["failed"])
    finally:
        progress.stop()
        staging.remove(stage)
        landing_writer.clean()
    for key, value in totals.items():
        recorder.count(key, value)
    recorder.finish(written_tables=ACQUIRE_TABLES[:-1])
    log.info("acquire done: %s", totals)
    return AcquireResult(
        recorder.run_id,
        n_listed,
        considered,
        totals["metadata"],
        totals["fetched"],
        totals["failed"],
        totals["bytes"],
        totals["removed"],
        totals["lifted"],
    )


# --- planning (Spark) -------------------------------------------------------------------------------
def build_states(
    spark: SparkSession, lake: Lake, settings: AcquireSettings, listed: DataFrame, complete: bool
) -> DataFrame:
    """One row per known version: what the listing says joined with what the ledger remembers.

    Cloud versions whose ETag / LastModified changed (or were never read) get `needs_json`; their
    licence and flags are filled in after the JSON stage. A ledger version missing from a complete
    listing has left the subset (is_open_access false). `since` drops listed versions the ledger does not
    know and that were last modified before it.
    """
    from pyspark.sql import functions as F

    ledger = lake.read("fetch_ledger").where(F.col("source") == settings.source)
    # A partial enumeration speaks only for the articles it covers: other ledger rows stay out of this run.
    if settings.source == "pmc_cloud" and settings.cloud.enumerate == "pmcids":
        wanted = [requested_pmcid(p) for p in settings.cloud.pmcids]
        ledger = ledger.where(F.col("pmcid").isin(wanted))
    elif (
        settings.source == "pmc_cloud"
        and settings.cloud.enumerate == "listing"
        and settings.cloud.list_prefix
    ):
        ledger = ledger.where(F.col("pmcid").startswith(settings.cloud.list_prefix))
    n, lg = listed.alias("n"), ledger.alias("l")
    joined = n.join(
        lg,
        (F.col("n.pmcid") == F.col("l.pmcid")) & F.col("n.version").eqNullSafe(F.col("l.version")),
        "full_outer",
    )
    is_listed = F.col("n.pmcid").isNotNull()
    known = F.col("l.pmcid").isNotNull()
    cloud = settings.source == "pmc_cloud"
    changed = (
        ~known
        | ~F.col("n.etag").eqNullSafe(F.col("l.etag"))
        | (F.col("n.etag").isNull() & ~F.col("n.last_modified").eqNullSafe(F.col("l.last_modified")))
        | F.col("l.license_subset").isNull()
    )
    needs_json = (is_listed & changed) if cloud else F.lit(False)

    def pick(column: str) -> Any:
        # Cloud flags come from the ledger until the JSON stage refreshes them; legacy ones from the list.
        if cloud:
            return F.when(needs_json, F.lit(None)).otherwise(F.col(f"l.{column}"))
        return F.coalesce(F.col(f"n.{column}"), F.col(f"l.{column}"))

    states = joined.select(
        F.coalesce("n.pmcid", "l.pmcid").alias("pmcid"),
        F.coalesce("n.version", "l.version").alias("version"),
        F.coalesce("n.remote_key", "l.remote_key").alias("remote_key"),
        F.when(is_listed, F.col("n.last_modified"))
        .otherwise(F.col("l.last_modified"))
        .alias("last_modified"),
        F.when(is_listed, F.col("n.etag")).otherwise(F.col("l.etag")).alias("etag"),
        pick("license_code").alias("license_code"),
        pick("license_subset").alias("license_subset"),
        F.when(is_listed | F.lit(not complete), pick("is_open_access"))
        .otherwise(F.lit(False))
        .alias("is_open_access"),
        pick("is_manuscript").alias("is_manuscript"),
        pick("is_retracted").alias("is_retracted"),
        is_listed.alias("listed"),
        needs_json.alias("needs_json"),
        F.col("l.status").alias("previous_status"),
        F.col("l.reason").alias("previous_reason"),
        F.col("l.etag").alias("previous_etag"),
        F.col("l.last_modified").alias("previous_last_modified"),
        F.col("l.is_open_access").alias("previous_is_open_access"),
        F.col("l.attempts").alias("previous_attempts"),
        F.col("l.error_kind").alias("previous_error_kind"),
        F.col("l.error").alias("previous_error"),
        F.col("l.md5").alias("previous_md5"),
        F.col("l.bytes").alias("previous_bytes"),
        F.col("l.files").alias("previous_files"),
        F.col("l.landing_path").alias("previous_landing_path"),
        F.col("l.fetched_at").alias("previous_fetched_at"),
    )
    states = states.withColumn("vkey", version_key())
    if settings.since is not None:
        since = dt.datetime.combine(settings.since, dt.time(), dt.timezone.utc)
        states = states.where(
            F.col("previous_status").isNotNull()
            | F.col("last_modified").isNull()
            | (F.col("last_modified") >= F.lit(since))
        )
    return states


def work_chunks(states: DataFrame, settings: AcquireSettings) -> DataFrame:
    """(pmcid, chunk) for every article with something to do: a JSON to read, a fetch that failed or is
    pending, or a decision that differs from the ledger's (filters changed, article gone). Chunks follow
    PMCID order, `acquire.batch_items` articles each."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    decided = decide(states.where("NOT needs_json"), settings)
    ledger_view = states.select("pmcid", "vkey", "previous_status", "previous_reason")
    stale = (
        decided.join(ledger_view, ["pmcid", "vkey"])
        .where(
            (F.col("action") == Action.FETCH.value)
            | F.col("removal").isNotNull()
            | ~F.col("reason").eqNullSafe(F.col("previous_reason"))
        )
        .select("pmcid")
    )
    fresh = states.where("needs_json").select("pmcid")
    pmcids = fresh.union(stale).distinct()
    # One global ordering of article ids (small rows): chunks are then contiguous PMCID ranges.
    numbered = pmcids.withColumn("_n", F.row_number().over(Window.orderBy("pmcid")) - 1)
    return numbered.select("pmcid", F.floor(F.col("_n") / settings.batch_items).cast("int").alias("chunk"))


def decide(states: DataFrame, settings: AcquireSettings) -> DataFrame:
    """Apply `selection.decide_article` to each article's versions (a grouped pandas UDF)."""
    filters = settings.filters
    columns = [
        "pmcid",
        "version",
        "license_subset",
        "is_open_access",
        "is_manuscript",
        "is_retracted",
        "last_modified",
        "etag",
        "previous_status",
        "previous_etag",
        "previous_last_modified",
        "metadata_failed",
    ]
    from pyspark.sql import functions as F

    if "metadata_failed" not in states.columns:
        states = states.withColumn("metadata_failed", F.lit(False))

    def per_article(pdf: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        records: list[dict[str, Any]] = [
            {str(k): (None if _is_missing(v) else v) for k, v in r.items()} for r in pdf.to_dict("records")
        ]
        out: list[tuple[Any, ...]]
        if any(r["metadata_failed"] for r in records):
            out = [(r["pmcid"], r["version"], METADATA_FAILED, None, None) for r in records]
        else:
            decision = decide_article([_state(r) for r in records], filters)
            removal = decision.removal.value if decision.removal else None
            out = [
                (r["pmcid"], d.version, d.action.value, d.reason, removal)
                for r, d in zip(records, decision.decisions, strict=True)
            ]
        frame = pd.DataFrame(out, columns=["pmcid", "version", "action", "reason", "removal"])
        frame["version"] = frame["version"].astype("Int32")
        return frame

    decided = states.select(*columns).groupBy("pmcid").applyInPandas(per_article, DECISION_DDL)
    return decided.withColumn("vkey", version_key())


def version_key() -> Any:
    """A join key for versions: legacy packages have none (null), and nulls never join."""
    from pyspark.sql import functions as F

    return F.coalesce(F.col("version"), F.lit(-1))


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, (list, bytes, str)) and bool(pd.isna(value)))


def _state(r: dict[str, Any]) -> VersionState:
    return VersionState(
        pmcid=r["pmcid"],
        version=int(r["version"]) if r["version"] is not None else None,
        license_subset=r["license_subset"] or "other",
        is_open_access=bool(r["is_open_access"]) if r["is_open_access"] is not None else True,
        is_manuscript=bool(r["is_manuscript"]),
        is_retracted=bool(r["is_retracted"]),
        last_modified=_utc(r["last_modified"]),
        etag=r["etag"],
        previous_status=r["previous_status"],
        previous_etag=r["previous_etag"],
        previous_last_modified=_utc(r["previous_last_modified"]),
    )


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    stamp = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


# --- one chunk ----------------------------------------------------------------------------------------
def _process_chunk(
    spark: SparkSession,
    lake: Lake,
    settings: AcquireSettings,
    run_id: str,
    landing_root: str,
    states: DataFrame,
    remaining: int | None,
) -> dict[str, int]:
    from pyspark.sql import functions as F

    stage = f"{staging.stage_path(lake, 'acquire', run_id)}/chunk-{int(time.time() * 1000)}"
    metadata_read = 0
    todo = states.where("needs_json").select("pmcid", "version", "remote_key", "etag")
    if settings.source == "pmc_cloud" and todo.limit(1).count():
        _stage(todo, _metadata_udf(settings), METADATA_DDL, settings, f"{stage}/metadata")
        fresh = spark.read.parquet(f"{stage}/metadata")
        metadata_read = fresh.count()
        states = _with_fresh_metadata(states, fresh)
    else:
        states = states.select(
            "*",
            F.lit(False).alias("metadata_failed"),
            F.lit(None).cast("binary").alias("json"),
            F.lit(None).cast("int").alias("json_attempts"),
            F.lit(None).cast("string").alias("json_error_kind"),
            F.lit(None).cast("string").alias("json_error"),
        )
    # Snapshots, not caches: an evicted cache would be recomputed against the ledger this chunk updates.
    states = _snapshot(spark, states, f"{stage}/states")
    decisions = _snapshot(spark, decide(states, settings), f"{stage}/decisions")

    to_fetch = decisions.where(F.col("action") == Action.FETCH.value).select("pmcid", "vkey")
    if remaining is not None:  # the first `remaining` articles (by PMCID) of this chunk; the rest wait
        to_fetch = to_fetch.orderBy("pmcid").limit(max(0, remaining))
    work = states.join(to_fetch, ["pmcid", "vkey"]).select(
        *[c.split()[0] for c in FETCH_INPUT_DDL.split(", ")]
    )
    if work.limit(1).count():
        _stage(work, _fetch_udf(settings, run_id, landing_root), OUTCOME_DDL, settings, f"{stage}/outcomes")
        outcomes = spark.read.parquet(f"{stage}/outcomes")
    else:
        outcomes = spark.createDataFrame([], OUTCOME_DDL)
    outcomes = outcomes.withColumn("vkey", version_key())

    ledger_rows = _ledger_rows(states, decisions, outcomes, settings, run_id)
    if ledger_rows.limit(1).count():
        lake.upsert("fetch_ledger", ledger_rows)
    removed, lifted = _record_removals(lake, settings, run_id, decisions, outcomes)
    counts = {
        r["status"]: (int(r["n"]), int(r["b"] or 0))
        for r in outcomes.groupBy("status").agg(F.count("*").alias("n"), F.sum("bytes").alias("b")).collect()
    }
    return {
        "articles": decisions.select("pmcid").distinct().count(),
        "metadata": metadata_read,
        "fetched": counts.get("fetched", (0, 0))[0],
        "failed": counts.get("failed", (0, 0))[0],
        "bytes": counts.get("fetched", (0, 0))[1],
        "removed": removed,
        "lifted": lifted,
    }


def _snapshot(spark: SparkSession, df: DataFrame, path: str) -> DataFrame:
    df.write.mode("overwrite").parquet(path)
    return spark.read.parquet(path)


def _with_fresh_metadata(states: DataFrame, fresh: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    f = fresh.alias("f")
    joined = states.alias("s").join(
        f, (F.col("s.pmcid") == F.col("f.pmcid")) & F.col("s.version").eqNullSafe(F.col("f.version")), "left"
    )
    ok = F.col("f.status") == "fetched"
    replaced = {"license_code", "license_subset", "is_open_access", "is_manuscript", "is_retracted"}
    columns = [
        F.when(ok, F.col(f"f.{c}")).otherwise(F.col(f"s.{c}")).alias(c) if c in replaced else F.col(f"s.{c}")
        for c in states.columns
    ]
    return joined.select(
        *columns,
        (F.col("f.status") == "failed").alias("metadata_failed"),
        F.col("f.json").alias("json"),
        F.col("f.attempts").alias("json_attempts"),
        F.col("f.error_kind").alias("json_error_kind"),
        F.col("f.error").alias("json_error"),
    ).fillna(False, subset=["metadata_failed"])


def _ledger_rows(
    states: DataFrame, decisions: DataFrame, outcomes: DataFrame, settings: AcquireSettings, run_id: str
) -> DataFrame:
    """Ledger rows that differ from what the ledger holds: every version whose JSON was read, fetched or
    failed, and every version whose status or reason changed."""
    from pyspark.sql import functions as F

    s = states.alias("s")
    d = decisions.alias("d")
    o = outcomes.alias("o")
    joined = s.join(d.drop("version"), ["pmcid", "vkey"], "inner").join(
        o.drop("version"), ["pmcid", "vkey"], "left"
    )
    action = F.col("d.action")
    fetched_before = F.col("s.previous_status") == "fetched"
    status = (
        F.when(action == METADATA_FAILED, F.lit("failed"))
        .when(F.col("o.status").isNotNull(), F.col("o.status"))
        .when(action == Action.FETCH.value, F.lit("pending"))  # cut by acquire.limit
        .when(action == Action.UP_TO_DATE.value, F.lit("fetched"))
        .when((action == Action.NOT_CURRENT.value) & fetched_before, F.lit("fetched"))
        .otherwise(F.lit("skipped"))
    )
    took_fetch = F.col("o.status").isNotNull()
    landed = F.col("o.status") == "fetched"

    def outcome_or_previous(column: str) -> Any:
        return F.when(landed, F.col(f"o.{column}")).otherwise(F.col(f"s.previous_{column}"))

    def error(column: str) -> Any:
        return (
            F.when(action == METADATA_FAILED, F.col(f"s.json_{column}"))
            .when(took_fetch, F.col(f"o.{column}"))
            .otherwise(F.lit(None))
        )

    rows = joined.select(
        F.lit(settings.source).alias("source"),
        "pmcid",
        "version",
        F.col("s.remote_key").alias("remote_key"),
        F.col("s.last_modified").alias("last_modified"),
        F.col("s.etag").alias("etag"),
        F.col("s.license_code").alias("license_code"),
        F.col("s.license_subset").alias("license_subset"),
        F.col("s.is_open_access").alias("is_open_access"),
        F.col("s.is_manuscript").alias("is_manuscript"),
        F.col("s.is_retracted").alias("is_retracted"),
        status.alias("status"),
        F.when(action == METADATA_FAILED, F.lit(METADATA_FAILED))
        .otherwise(F.col("d.reason"))
        .alias("reason"),
        (
            F.coalesce(F.col("s.previous_attempts"), F.lit(0))
            + F.coalesce(F.col("o.attempts"), F.lit(0))
            + F.coalesce(F.col("s.json_attempts"), F.lit(0))
        )
        .cast("int")
        .alias("attempts"),
        error("error_kind").alias("error_kind"),
        error("error").alias("error"),
        outcome_or_previous("md5").alias("md5"),
        outcome_or_previous("bytes").alias("bytes"),
        outcome_or_previous("files").alias("files"),
        outcome_or_previous("landing_path").alias("landing_path"),
        outcome_or_previous("fetched_at").alias("fetched_at"),
        F.current_timestamp().alias("checked_at"),
        F.lit(run_id).alias("run_id"),
        F.col("s.needs_json").alias("_read_json"),
        F.col("s.previous_status").alias("_previous_status"),
        F.col("s.previous_reason").alias("_previous_reason"),
        F.col("s.previous_is_open_access").alias("_previous_open"),
        took_fetch.alias("_took_fetch"),
        F.col("s.previous_etag").alias("_previous_etag"),
        F.col("s.previous_last_modified").alias("_previous_last_modified"),
    )
    differs = (
        F.col("_read_json")
        | F.col("_took_fetch")
        | ~F.col("etag").eqNullSafe(F.col("_previous_etag"))
        | ~F.col("last_modified").eqNullSafe(F.col("_previous_last_modified"))
        | ~F.col("status").eqNullSafe(F.col("_previous_status"))
        | ~F.col("reason").eqNullSafe(F.col("_previous_reason"))
        | ~F.col("is_open_access").eqNullSafe(F.col("_previous_open"))
        | F.col("error_kind").isNotNull()
    )
    return rows.where(differs).drop(*[c for c in rows.columns if c.startswith("_")])


def _record_removals(
    lake: Lake,
    settings: AcquireSettings,
    run_id: str,
    decisions: DataFrame,
    outcomes: DataFrame,
) -> tuple[int, int]:
    """New removals (the article was fetched and no version is admissible now) and lifted ones (an article
    removed before is admissible and landed again). Returns (removed, lifted)."""
    from pyspark.sql import functions as F

    active = lake.read("removals").where("lifted_at IS NULL")
    removals = (
        decisions.where("removal IS NOT NULL")
        .groupBy("pmcid")
        .agg(F.first("removal").alias("reason"))
        .join(active.select("pmcid", F.col("reason").alias("_held")), "pmcid", "left")
        .where(~F.col("reason").eqNullSafe(F.col("_held")))
        .select(
            "pmcid",
            F.lit(settings.source).alias("source"),
            "reason",
            F.concat(F.lit("detected by acquire from "), F.lit(settings.source)).alias("detail"),
            F.current_timestamp().alias("detected_at"),
            F.lit(run_id).alias("run_id"),
            F.lit(None).cast("timestamp").alias("lifted_at"),
            F.lit(None).cast("string").alias("lifted_run_id"),
        )
    )
    removed = removals.count()
    if removed:
        lake.upsert("removals", removals)
    current = (
        decisions.where(F.col("action") == Action.UP_TO_DATE.value)
        .select("pmcid")
        .union(outcomes.where("status = 'fetched'").select("pmcid"))
    )
    lifts = active.join(current.distinct(), "pmcid").select(
        "pmcid", F.current_timestamp().alias("lifted_at"), F.lit(run_id).alias("lifted_run_id")
    )
    lifted = (
        lake.update_columns("removals", lifts, ["lifted_at", "lifted_run_id"])
        if lifts.limit(1).count()
        else 0
    )
    return removed, lifted


# --- the two fetch stages (tasks) --------------------------------------------------------------------
def _stage(
    work: DataFrame,
    udf: Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]],
    ddl: str,
    settings: AcquireSettings,
    path: str,
) -> None:
    """Run a fetch UDF over `work` spread on `acquire.tasks` tasks, and stage its output once."""
    work.repartition(settings.tasks).mapInArrow(udf, ddl).write.mode("overwrite").parquet(path)


def _task_fetcher(settings: AcquireSettings) -> Fetcher:
    import os

    # Every task gets rate / tasks: see retry.per_task_rate for why a static split is the bound that holds.
    rate = per_task_rate(settings.requests_per_second, settings.tasks)
    burst = max(1.0, settings.burst / settings.tasks)
    return Fetcher(make_transport(settings), RateLimiter(rate, burst), settings.backoff, seed=os.getpid())


def _metadata_udf(
    settings: AcquireSettings,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    schema = flat_ddl_arrow_schema(METADATA_DDL)
    bucket = settings.cloud.bucket

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        fetcher = _task_fetcher(settings)

        def one(record: dict[str, Any]) -> dict[str, Any]:
            data, outcome = fetch_metadata(fetcher, record["remote_key"], record["etag"])
            row = {
                "pmcid": record["pmcid"],
                "version": record["version"],
                "json": data,
                "status": outcome.status,
                "attempts": outcome.attempts,
                "error_kind": outcome.error_kind,
                "error": outcome.error,
            }
            if data is not None:
                try:
                    parsed = cloud_meta.parse_version_json(data, bucket)
                except cloud_meta.MetadataError as exc:
                    row.update(status="failed", error_kind="metadata_unreadable", error=str(exc), json=None)
                else:
                    row.update(
                        license_code=parsed.license_code,
                        license_subset=parsed.license_subset,
                        is_open_access=parsed.is_open_access,
                        is_manuscript=parsed.is_manuscript,
                        is_retracted=parsed.is_retracted,
                    )
            return row

        records = (r for batch in batches for r in batch.to_pylist())
        rows = (row for _, row in run_bounded(records, one, settings.concurrency))
        yield from record_batches(rows, schema, 256)

    return run


def _fetch_udf(
    settings: AcquireSettings, run_id: str, landing_root: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    schema = flat_ddl_arrow_schema(OUTCOME_DDL)
    options = CloudOptions(settings.cloud.bucket, settings.include_pdf, settings.include_supplements)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        fetcher = _task_fetcher(settings)
        writer = LandingWriter(landing_root, run_id)

        def one(record: dict[str, Any]) -> dict[str, Any]:
            if settings.source == "legacy":
                outcome = fetch_legacy_package(fetcher, writer, record["remote_key"])
            else:
                metadata = record["json"]
                if metadata is None:  # decided from the ledger (e.g. a retry): read the JSON again
                    metadata, outcome = fetch_metadata(fetcher, record["remote_key"], record["etag"])
                if metadata is not None:
                    outcome = fetch_cloud_version(fetcher, writer, metadata, record["last_modified"], options)
            return {"pmcid": record["pmcid"], "version": record["version"], **outcome_fields(outcome)}

        records = (r for batch in batches for r in batch.to_pylist())
        rows = (row for _, row in run_bounded(records, one, settings.concurrency))
        yield from record_batches(rows, schema, 64)

    return run


class Progress:
    """A driver log line at most every `interval` seconds: articles done, fetched, failed, rate, ETA."""

    def __init__(self, total: int, interval: float) -> None:
        self.total = total
        self.interval = max(0.1, interval)
        self.done = self.fetched = self.failed = 0
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="acquire-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def advance(self, articles: int, fetched: int, failed: int) -> None:
        with self._lock:
            self.done += articles
            self.fetched += fetched
            self.failed += failed
        self.log()

    def line(self) -> str:
        elapsed = max(1e-9, time.monotonic() - self.started)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta_text = f"{eta:.0f} s" if eta != float("inf") else "unknown"
        return (
            f"acquire: {self.done}/{self.total} articles decided, {self.fetched} fetched, "
            f"{self.failed} failed, {rate:.1f} articles/s, ETA {eta_text}"
        )

    def log(self) -> None:
        log.info(self.line())

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.log()


def summary_line(result: AcquireResult) -> str:
    return (
        f"acquire {result.run_id}: {result.listed} listed, {result.articles_considered} articles with work, "
        f"{result.metadata_read} JSON read, {result.fetched} fetched ({result.bytes / 1e6:.1f} MB), "
        f"{result.failed} failed, {result.removed} removed, {result.lifted} reinstated"
    )
