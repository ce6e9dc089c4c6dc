"""The extract job on Spark: list the landing zone, explode new or changed archives, MERGE into Delta.

Each batch of archives is exploded once (`mapInArrow` over `explode_archive`), staged as Parquet under
`${lake.root}/_staging`, then merged table by table in DESIGN's commit order: data tables (images,
quarantine, articles, figures), then `sources` (which marks the archives done), then `runs`. A crash at
any point leaves the archives of the unfinished batch out of `sources`, so a re-run redoes exactly them,
and every MERGE is keyed so redoing is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biomedica_spark import faults
from biomedica_spark.acquire.removals import apply_removals
from biomedica_spark.archives.reader import ArchiveLimits
from biomedica_spark.extract import current_version
from biomedica_spark.extract.explode import ArchiveInput, ExtractSettings, explode_archive
from biomedica_spark.lake import schemas, staging
from biomedica_spark.lake.delta_io import Lake, absolute_uri
from biomedica_spark.lake.fs import require_folder
from biomedica_spark.lake.session import temporary_conf
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

EXTRACT_TABLES = ("sources", "articles", "figures", "images", "quarantine", "runs")
STAGE_KINDS = ("source", "article", "figure", "image", "quarantine")
# Up to this many image rows in a batch, the images are deduplicated by a broadcast of (sha256, path,
# member) rows, ~200 bytes each, instead of a shuffle of their bytes.
MAX_IMAGES_RANKED_NARROW = 1_000_000
STAGE_TABLE_OF = {
    "source": "sources",
    "article": "articles",
    "figure": "figures",
    "image": "images",
    "quarantine": "quarantine",
}


def stage_ddl() -> str:
    fields = ", ".join(f"{kind} struct<{schemas.ddl(STAGE_TABLE_OF[kind])}>" for kind in STAGE_KINDS)
    return f"kind string, {fields}"


def settings_from_config(cfg: DictConfig) -> ExtractSettings:
    limits = cfg.extract.limits
    return ExtractSettings(
        limits=ArchiveLimits(
            max_archive_bytes=int(limits.max_archive_bytes),
            max_members=int(limits.max_members),
            max_member_bytes=int(limits.max_member_bytes),
            max_total_inflated_bytes=int(limits.max_total_inflated_bytes),
            max_compression_ratio=float(limits.max_compression_ratio),
            compression_ratio_floor_bytes=int(limits.compression_ratio_floor_bytes),
        ),
        max_xml_bytes=int(limits.max_xml_bytes),
        max_image_pixels=int(limits.max_image_pixels),
        min_image_side=int(limits.min_image_side),
        tables_as_figures=bool(cfg.extract.tables_as_figures),
    )


@dataclass
class ExtractResult:
    run_id: str
    listed: int
    processed: int
    unchanged: int
    skipped: int


def run_extract(spark: SparkSession, cfg: DictConfig) -> ExtractResult:
    lake = Lake(spark, cfg)
    started = time.perf_counter()
    lake.ensure(EXTRACT_TABLES)
    recorder = RunRecorder(lake, "extract", cfg)
    recorder.add_phase("ensure_tables", time.perf_counter() - started)
    landing = absolute_uri(str(cfg.landing.root))
    require_folder(landing, "landing.root")
    settings = settings_from_config(cfg)
    staging.clear_stale(lake, "extract")

    with recorder.timed("list_and_plan"):
        listing = list_landing(spark, landing, int(cfg.extract.stat_tasks))
        todo = plan_work(listing, lake.read("sources")).cache()
        counts = {
            r["action"]: int(r["n"])
            for r in todo.groupBy("action").count().withColumnRenamed("count", "n").collect()
        }
    listed = sum(counts.values())
    recorder.count("archives_listed", listed)
    recorder.count("archives_already_done", counts.get("done", 0))
    recorder.read_versions(["sources", "articles"])

    pending = todo.where("action <> 'done'").orderBy("path")
    batch_size = int(cfg.extract.batch_archives)
    processed = unchanged = 0
    batch: list[dict[str, Any]] = []
    for row in pending.toLocalIterator():
        batch.append(row.asDict())
        if len(batch) >= batch_size:
            p, u = _process_batch(spark, lake, cfg, settings, recorder, batch)
            processed, unchanged = processed + p, unchanged + u
            batch = []
    if batch:
        p, u = _process_batch(spark, lake, cfg, settings, recorder, batch)
        processed, unchanged = processed + p, unchanged + u
    todo.unpersist()
    with recorder.timed("apply_removals"):  # articles acquire recorded as removed (acquire/removals.py)
        recorder.read_versions(["removals"])
        recorder.count("articles_removed", apply_removals(lake))

    recorder.count("archives_processed", processed)
    recorder.count("archives_unchanged_content", unchanged)
    recorder.finish(written_tables=EXTRACT_TABLES[:-1])
    return ExtractResult(recorder.run_id, listed, processed, unchanged, counts.get("done", 0))


def stat_settings(stat_tasks: int) -> dict[str, str]:
    """Spark lists folders and stats explicit files with one task per path (up to 10,000 tasks), which
    costs far more than the look-ups themselves; a few tasks per core do the same look-ups."""
    return {"spark.sql.sources.parallelPartitionDiscovery.parallelism": str(stat_tasks)}


def list_landing(spark: SparkSession, root: str, stat_tasks: int = 16) -> DataFrame:
    """Every file under the landing zone (recursive; Spark skips `_`- and `.`-prefixed names).

    Selecting no `content` column means binaryFile reads no file bytes here, only the listing. Spark's
    file scan drops 0-byte files, so those are recovered from the file index and stat-ed on the driver:
    an empty archive must become a quarantine row, not vanish.
    The listing keeps at most `stat_tasks` partitions: split like a read of the archives' bytes (a task
    per ~128 MB), it would make every job over the listing start a hundred tasks per 3,000 archives.
    """
    with temporary_conf(spark, stat_settings(stat_tasks)):
        files = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(root)
    scanned = files.select("path", "length", "modificationTime").coalesce(stat_tasks)
    indexed = spark.createDataFrame([(_as_path_column(p),) for p in files.inputFiles()], "path string")
    empty = [r["path"] for r in indexed.join(scanned, "path", "left_anti").collect()]
    if not empty:
        return scanned
    return scanned.unionByName(
        spark.createDataFrame(
            [_stat(p) for p in empty], "path string, length bigint, modificationTime timestamp"
        )
    )


def _as_path_column(uri: str) -> str:
    """inputFiles() gives `file:///x` where the `path` column has `file:/x`; other schemes agree."""
    return "file:/" + uri[len("file:///") :] if uri.startswith("file:///") else uri


def _stat(path: str) -> tuple[str, int, dt.datetime]:
    import fsspec

    fs, local = fsspec.core.url_to_fs(path)
    info = fs.info(local)
    modified = fs.modified(local)
    if modified.tzinfo is None:
        modified = modified.replace(tzinfo=dt.timezone.utc)
    return path, int(info.get("size") or 0), modified


def plan_work(listing: DataFrame, sources: DataFrame) -> DataFrame:
    """Tag each listed file: `new`, `changed` (size or mtime differ: hash decides) or `done`."""
    from pyspark.sql import functions as F

    known = sources.select(
        F.col("source_path").alias("path"),
        F.col("size").alias("known_size"),
        F.col("mtime").alias("known_mtime"),
        F.col("content_sha256").alias("known_sha256"),
    )
    joined = listing.join(known, "path", "left")
    action = (
        F.when(F.col("known_size").isNull(), F.lit("new"))
        .when(
            (F.col("known_size") == F.col("length")) & (F.col("known_mtime") == F.col("modificationTime")),
            F.lit("done"),
        )
        .otherwise(F.lit("changed"))
    )
    return joined.select(
        "path",
        "length",
        "modificationTime",
        F.when(action == "changed", F.col("known_sha256")).alias("known_sha256"),
        action.alias("action"),
    )


def _process_batch(
    spark: SparkSession,
    lake: Lake,
    cfg: DictConfig,
    settings: ExtractSettings,
    recorder: RunRecorder,
    batch: list[dict[str, Any]],
) -> tuple[int, int]:
    from pyspark.sql import functions as F

    started = time.perf_counter()
    inline_max = int(cfg.extract.inline_max_bytes)
    # Spark's file scan drops 0-byte files, so they go the by-path route (where nothing is read) too.
    small = [r for r in batch if 0 < r["length"] <= inline_max]
    large = [r for r in batch if not 0 < r["length"] <= inline_max]
    todo_df = spark.createDataFrame(
        [(r["path"], r["known_sha256"]) for r in batch], "path string, known_sha256 string"
    )
    frames = []
    if small:
        with temporary_conf(spark, stat_settings(int(cfg.extract.stat_tasks))):
            content = (
                spark.read.format("binaryFile")
                .option("ignoreMissingFiles", "true")
                .load([r["path"] for r in small])
                .join(F.broadcast(todo_df), "path")
            )
        frames.append(content.select("path", "length", "modificationTime", "content", "known_sha256"))
    if large:
        # Streamed by path inside the worker: these bytes never pass through the JVM.
        rows = [(r["path"], r["length"], r["modificationTime"], None, r["known_sha256"]) for r in large]
        frames.append(
            spark.createDataFrame(
                rows,
                "path string, length bigint, modificationTime timestamp, content binary, known_sha256 string",
            ).repartition(max(1, -(-len(rows) // int(cfg.extract.archives_per_task))))
        )
    work = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])

    stage_path = staging.stage_path(lake, "extract", recorder.run_id)
    explode = _explode_udf(spark, settings, recorder.run_id)
    task_settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(int(cfg.extract.archives_per_task)),
        "spark.sql.files.openCostInBytes": str(int(cfg.extract.file_open_cost_bytes)),
    }
    recorder.add_phase("prepare_batch", time.perf_counter() - started)  # stats the batch's archives
    with temporary_conf(spark, task_settings), recorder.timed("explode_and_stage"):
        # Partitioned by kind, so each MERGE below reads only its own rows' files; uncompressed,
        # since the bulk of it is image bytes that are compressed already and read back once.
        (
            work.mapInArrow(explode, stage_ddl())
            .write.mode("overwrite")
            .option("compression", "none")
            .partitionBy("kind")
            .parquet(stage_path)
        )
    stage = spark.read.parquet(stage_path)
    with recorder.timed("count_staged"):
        unchanged, staged_images = _record_stage_counts(stage, recorder)
    reprocessing = any(r["known_sha256"] is not None for r in batch)
    with lake.merging_fixed_sources():  # each MERGE source: the staged Parquet, or keys derived from it
        _commit_stage(lake, stage, recorder, reprocessing, staged_images)
    staging.remove(stage_path)
    return len(batch), unchanged


def _explode_udf(
    spark: SparkSession, settings: ExtractSettings, run_id: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The mapInArrow function: archives in, staged rows out, a few archives per output batch."""
    from biomedica_spark.lake.arrow import arrow_schema

    # Parsed on the driver (workers have no JVM), through an empty DataFrame: StructType.fromDDL is
    # Spark 4 only.
    schema = arrow_schema(spark.createDataFrame([], stage_ddl()).schema)

    def explode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        for batch in batches:
            out: list[dict[str, Any]] = []
            for record in batch.to_pylist():
                item = ArchiveInput(
                    source_path=record["path"],
                    size=int(record["length"]),
                    mtime=record["modificationTime"],
                    content=record["content"],
                    known_sha256=record["known_sha256"],
                )
                out.extend(_stage_rows(explode_archive(item, settings, run_id)))
            if out:
                yield pa.RecordBatch.from_pylist(out, schema=schema)
                faults.kill_worker_once()  # fault-injection tests only (biomedica_spark/faults.py)

    return explode


def _stage_rows(exploded: Any) -> Iterator[dict[str, Any]]:
    yield {"kind": "source", "source": exploded.source}
    for kind, rows in (
        ("article", exploded.articles),
        ("figure", exploded.figures),
        ("image", exploded.images),
        ("quarantine", exploded.quarantine),
    ):
        for row in rows:
            yield {"kind": kind, kind: row}


def _commit_stage(
    lake: Lake, stage: DataFrame, recorder: RunRecorder, reprocessing: bool, staged_images: int
) -> None:
    """MERGE one staged batch in DESIGN's order; `reprocessing`: the batch holds changed archives."""

    def rows(kind: str) -> DataFrame:
        return stage.where(f"kind = '{kind}'").select(f"{kind}.*")

    sources = rows("source")
    reprocessed = sources.where("status <> 'unchanged'").select("source_path")

    with recorder.timed("merge_images"):
        # (image_sha256, first_source_path, first_member_path) identifies a staged image row: ranked
        # without its bytes while the batch's winners fit in a broadcast.
        lake.insert_new(
            "images",
            rows("image"),
            order_by=["first_source_path", "first_member_path"],
            wide_rows=staged_images <= MAX_IMAGES_RANKED_NARROW,
        )
    with recorder.timed("merge_quarantine"):
        if reprocessing:  # a changed archive's earlier quarantine rows describe bytes that are gone
            lake.delete_matching("quarantine", reprocessed, "t.source_path = s.source_path")
        lake.insert_new("quarantine", rows("quarantine"))
    with recorder.timed("merge_articles_figures"):
        _commit_articles(lake, rows("article"), rows("figure"))
    with recorder.timed("merge_sources"):
        lake.upsert("sources", sources)


def _record_stage_counts(stage: DataFrame, recorder: RunRecorder) -> tuple[int, int]:
    """Rows staged per kind and quarantine rows per reason, in one pass; returns the batch's unchanged
    archives and staged image rows."""
    unchanged = images = 0
    grouped = stage.groupBy("kind", "source.status", "quarantine.reason_code").count().collect()
    for kind, status, reason, n in grouped:
        recorder.add_count(f"{kind}_rows_staged", n)
        if kind == "quarantine":
            recorder.add_count(f"quarantine.{reason}", n)
        elif kind == "source" and status == "unchanged":
            unchanged += n
        elif kind == "image":
            images += n
    return unchanged, images


def _commit_articles(lake: Lake, staged_articles: DataFrame, staged_figures: DataFrame) -> None:
    """Upsert the current copy of each article and replace its figures with that copy's figures."""
    from pyspark.sql import functions as F

    from biomedica_spark.lake.delta_io import dedup_by_key

    best = dedup_by_key(staged_articles, ["article_key"], current_version.preference_order())
    existing = lake.read("articles").alias("t")
    # Which copy wins, as a few small columns per article, checkpointed: the MERGEs below run on
    # merging_fixed_sources, so each must see the same winners in both of its passes, even after the
    # articles upsert has changed what `existing` reads.
    winners = (
        best.alias("s")
        .join(existing, F.col("s.article_key") == F.col("t.article_key"), "left")
        .where(
            F.col("t.article_key").isNull()
            | F.expr(current_version.preferred_over("s", "t"))
            | (F.col("s.source_path") == F.col("t.source_path"))
        )
        .select(
            "s.article_key",
            "s.source_path",
            "s.figure_count",
            F.col("t.article_key").isNotNull().alias("_replaces"),
        )
        .localCheckpoint(eager=True)
    )
    winning_copy = winners.select("article_key", "source_path")
    # The PubMed columns belong to the enrich job: a re-extracted article keeps them.
    lake.upsert(
        "articles",
        best.join(winning_copy, ["article_key", "source_path"], "left_semi"),
        preserve=schemas.ARTICLE_ENRICHMENT_COLUMNS,
    )
    if winners.where("_replaces").count():  # figures of a superseded copy (or beyond the new count) go
        lake.delete_matching(
            "figures",
            winners,
            "t.article_key = s.article_key"
            " AND (t.source_path <> s.source_path OR t.ordinal >= s.figure_count)",
        )
    lake.upsert("figures", staged_figures.join(winning_copy, ["article_key", "source_path"], "left_semi"))
