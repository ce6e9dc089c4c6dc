"""The export job on Spark: `pairs` + `articles` + `images` -> WebDataset shards per licence subset.

Read the tables at one version each (recorded in `runs` and in every subset's `_export.json`) -> one
`drop_reason` per pair (filters.py) -> seeded hash order, global index and shard number from bucket
counts (plan.py; no RDDs, no rows on the driver) -> image bytes joined only for the shards still
missing -> one Spark task writes whole shards straight to `export.out` (shards.py, via fsspec) and
returns their stats -> the driver writes `sizes.json` and `manifest.json` from the stats files.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from biomedica_spark import __version__
from biomedica_spark.export.filters import (
    DROP_REASONS,
    apply_drop_reason,
    check_concept_filters,
    has_labels,
    with_concept_columns,
)
from biomedica_spark.export.plan import BUCKET_BITS, bucket_offsets, shard_numbers, shards_per_subset
from biomedica_spark.export.sample_json import CONCEPT_COLUMNS, SAMPLE_COLUMNS
from biomedica_spark.export.settings import ExportConfigError, ExportSettings, settings_from_config
from biomedica_spark.export.shards import brace_pattern
from biomedica_spark.export.state import (
    ExportRecord,
    SubsetStatus,
    finished_shards,
    read_shard_stats,
    remove_temporaries,
    subset_status,
    write_record,
    write_summary,
)
from biomedica_spark.lake.delta_io import Lake, padded_to_schema
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

    from biomedica_spark.quarantine import QuarantineItem

log = logging.getLogger(__name__)

EXPORT_READS = ("pairs", "articles", "images")
# export.format=biomedica also reads `figures` (graphic hrefs, the article's figure list).
BIOMEDICA_READS = (*EXPORT_READS, "figures")
# Tar headers, JSON and padding per sample, on top of image and caption bytes (shard size estimate).
SAMPLE_OVERHEAD_BYTES = 2048
WRITE_RESULT_DDL = "subset string, shard int, stats_json string, quarantine_json string"
# Where the sample JSON columns of a format come from (sample_json.format_columns); others are in `pairs`.
_ARTICLE_JSON_COLUMNS = (
    "abstract",
    "pubmed_abstract",
    "keywords",
    "subjects",
    "reference_pmids",
    "reference_dois",
    "mesh_terms",
    "body_text",
)
_FIGURE_JSON_COLUMNS = ("graphic_href", "resolved_member")


@dataclass
class SubsetResult:
    subset: str
    status: str  # SubsetStatus value at the start of the run
    directory: str
    shards: int = 0
    shards_written: int = 0
    samples: int = 0
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def train_data(self) -> str | None:
        return brace_pattern(self.directory, self.shards) if self.shards else None


@dataclass
class ExportResult:
    run_id: str
    subsets: list[SubsetResult]
    dropped: dict[str, int]  # filter reason -> pairs left out
    considered: int  # pairs of the selected subsets before filtering
    retraction_unknown: int  # kept pairs whose article has no retraction flag
    labelled: int  # kept pairs with concept labels


def run_export(spark: SparkSession, cfg: DictConfig) -> ExportResult:
    import fsspec

    settings = settings_from_config(cfg)
    lake = Lake(spark, cfg)
    reads = BIOMEDICA_READS if settings.format == "biomedica" else EXPORT_READS
    missing = [t for t in reads if not lake.exists(t)]
    if missing:
        raise ExportConfigError(
            f"no {', '.join(missing)} table under {lake.root}: run extract and dedup first"
        )
    lake.ensure(("quarantine", "runs"))
    recorder = RunRecorder(lake, "export", cfg)
    recorder.read_versions(reads)
    versions = dict(recorder.versions_read)
    fs, out_root = fsspec.core.url_to_fs(settings.out)
    out_root = out_root.rstrip("/")
    shown_root = settings.out.rstrip("/") if "://" in settings.out else out_root

    records = {s: ExportRecord(s, settings.content_config(), versions, __version__) for s in settings.subsets}
    # Every conflict is found before anything is written.
    statuses = {s: subset_status(fs, f"{out_root}/{s}", records[s]) for s in settings.subsets}
    results = [SubsetResult(s, statuses[s].value, f"{shown_root}/{s}") for s in settings.subsets]
    todo = [s for s in settings.subsets if statuses[s] is not SubsetStatus.COMPLETE]
    outcome = ExportResult(recorder.run_id, results, {}, 0, 0, 0)
    for result in results:
        if result.subset not in todo:
            _fill_from_manifest(fs, f"{out_root}/{result.subset}", result)
    if todo:
        _export_subsets(spark, lake, recorder, settings, fs, out_root, {s: records[s] for s in todo}, outcome)
    for result in results:
        recorder.count(f"samples.{result.subset}", result.samples)
        recorder.count(f"shards_written.{result.subset}", result.shards_written)
    for reason, n in outcome.dropped.items():
        recorder.count(f"dropped.{reason}", n)
    recorder.finish(written_tables=("quarantine",), message=json.dumps(summary_lines(outcome)))
    return outcome


def _export_subsets(
    spark: SparkSession,
    lake: Lake,
    recorder: RunRecorder,
    settings: ExportSettings,
    fs: Any,
    out_root: str,
    todo: dict[str, ExportRecord],
    outcome: ExportResult,
) -> None:
    """Filter, plan and write the shards the `todo` subsets still miss, then their sizes and manifests."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    versions = dict(recorder.versions_read)
    pairs = lake.read("pairs", versions["pairs"])
    figures = lake.read("figures", versions["figures"]) if "figures" in versions else None
    candidates = apply_drop_reason(
        candidate_rows(
            pairs,
            lake.read("articles", versions["articles"]),
            lake.read("images", versions["images"]),
            figures,
            settings.json_columns,
        ),
        settings,
    ).where(F.col("subset").isin(*todo))
    # Counting, bucketing and numbering all read the candidates (metadata only): join them once.
    candidates = candidates.persist(StorageLevel.MEMORY_AND_DISK)
    persisted = [candidates]
    try:
        with recorder.timed("filter"):
            labelled_pairs = _count_filters(candidates, outcome)
        check_concept_filters(settings, labelled_pairs)
        with recorder.timed("plan"):
            plan = plan_shards(candidates.where("drop_reason IS NULL"), settings)
        pending: list[tuple[str, int]] = []
        for subset in todo:
            subset_dir = f"{out_root}/{subset}"
            write_record(fs, subset_dir, todo[subset])
            removed = remove_temporaries(fs, subset_dir)
            if removed:
                log.info(
                    "export: removed %d temporary files of an interrupted run in %s", removed, subset_dir
                )
            shards = plan.shards.get(subset, 0)
            done = finished_shards(fs, subset_dir)
            pending += [(subset, n) for n in range(shards) if n not in done]
            next(r for r in outcome.subsets if r.subset == subset).shards = shards
        with recorder.timed("write"):
            images = lake.read("images", versions["images"])
            written = write_shards(plan.rows, images, pending, settings, fs, out_root) if pending else []
    finally:
        for frame in persisted:
            frame.unpersist()
    _record_quarantine(spark, lake, written, recorder.run_id)
    for result in outcome.subsets:
        if result.subset not in todo:
            continue
        subset_dir = f"{out_root}/{result.subset}"
        stats = read_shard_stats(fs, subset_dir, list(range(result.shards)))
        write_summary(fs, subset_dir, todo[result.subset], stats)
        result.shards_written = sum(1 for row in written if row["subset"] == result.subset)
        _fill_totals(result, stats)


def candidate_rows(
    pairs: DataFrame,
    articles: DataFrame,
    images: DataFrame,
    figures: DataFrame | None = None,
    json_columns: Sequence[str] = (),
) -> DataFrame:
    """Every pair with what the filters and the sample JSON need (image sizes, never image bytes).

    `json_columns` (`ExportSettings.json_columns`, none for the native format) come from `pairs`,
    `articles`, the pair's own `figures` row, or (`article_figures`) every figure of its article."""
    from pyspark.sql import functions as F

    article_json = [c for c in json_columns if c in _ARTICLE_JSON_COLUMNS]
    figure_json = [c for c in json_columns if c in _FIGURE_JSON_COLUMNS]
    unknown = [
        c
        for c in json_columns
        if c not in (*article_json, *figure_json, "article_figures") and c not in pairs.columns
    ]
    if unknown:
        raise ValueError(f"candidate_rows: no table provides the sample JSON columns {unknown}")
    if article_json:
        # A lake enriched by no run yet may lack the PubMed columns: they read as nulls (the export never
        # alters a table it reads).
        articles = padded_to_schema(articles, "articles")
    article_cols = articles.select(
        "article_key",
        "pmid",
        "doi",
        "title",
        "authors",
        "journal",
        "pub_year",
        "article_type",
        "license_url",
        *article_json,
    )
    image_cols = images.select("image_sha256", "width", "height", "byte_size")
    rows = (
        with_concept_columns(pairs)
        .join(article_cols, "article_key", "left")
        .join(image_cols, "image_sha256", "left")
        .withColumn("key", F.col("pair_key"))  # dot-free and unique by construction (dedup/pair_keys.py)
        .withColumn("subset", F.coalesce("license_subset", F.lit("other")))
    )
    if (figure_json or "article_figures" in json_columns) and figures is None:
        raise ValueError(f"candidate_rows: the sample JSON columns {list(json_columns)} need `figures`")
    if figure_json and figures is not None:
        rows = rows.join(
            figures.select("article_key", "ordinal", *figure_json), ["article_key", "ordinal"], "left"
        )
    if "article_figures" in json_columns and figures is not None:
        # One list per article, in document order (the structs sort by their leading ordinal).
        listed = F.struct("ordinal", "graphic_href", "resolved_member", "inline_refs")
        per_article = figures.groupBy("article_key").agg(
            F.sort_array(F.collect_list(listed)).alias("article_figures")
        )
        rows = rows.join(per_article, "article_key", "left")
    return rows


@dataclass(frozen=True)
class ShardPlan:
    rows: DataFrame  # the kept rows with `rank` (the seeded shuffle order) and `shard`
    shards: dict[str, int]  # subset -> shards it is cut into (numbered 0.. contiguously)


def plan_shards(kept: DataFrame, settings: ExportSettings) -> ShardPlan:
    """Number the shards of `kept`. Only per-bucket counts and the distinct shard pieces (one row per
    shard) reach the driver; the rows stay a lazy plan over `kept`, read again by the write."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = kept.sparkSession
    estimate = (
        F.coalesce("byte_size", F.lit(0))
        + F.octet_length(F.coalesce("caption", F.lit("")))
        + F.lit(SAMPLE_OVERHEAD_BYTES)
    )
    ranked = (
        kept.withColumn("rank", F.xxhash64(F.lit(settings.seed), F.col("key")))
        .withColumn("bucket", F.shiftright("rank", 64 - BUCKET_BITS).cast("int"))
        .withColumn("estimated_bytes", estimate.cast("bigint"))
    )
    counts = (
        ranked.groupBy("subset", "bucket")
        .agg(F.count(F.lit(1)).alias("rows"), F.sum("estimated_bytes").alias("bytes"))
        .collect()
    )
    offsets = bucket_offsets((r["subset"], r["bucket"], int(r["rows"]), int(r["bytes"])) for r in counts)
    offset_df = spark.createDataFrame(
        [(o.subset, o.bucket, o.first_index, o.bytes_before) for o in offsets],
        "subset string, bucket int, first_index bigint, bucket_bytes_before bigint",
    )
    in_bucket = Window.partitionBy("subset", "bucket").orderBy("rank", "key")
    before_row = in_bucket.rowsBetween(Window.unboundedPreceding, -1)
    indexed = (
        ranked.join(F.broadcast(offset_df), ["subset", "bucket"])
        .withColumn("index", F.col("first_index") + F.row_number().over(in_bucket) - 1)
        .withColumn(
            "bytes_before",
            F.col("bucket_bytes_before") + F.coalesce(F.sum("estimated_bytes").over(before_row), F.lit(0)),
        )
    )
    if settings.max_samples is not None:
        indexed = indexed.where(F.col("index") < F.lit(settings.max_samples))
    blocks = indexed.withColumn(
        "count_block", (F.col("index") / F.lit(settings.samples_per_shard)).cast("bigint")
    ).withColumn("byte_block", (F.col("bytes_before") / F.lit(settings.max_shard_bytes)).cast("bigint"))
    pieces = blocks.select("subset", "count_block", "byte_block").distinct().collect()
    numbers = shard_numbers((r["subset"], int(r["count_block"]), int(r["byte_block"])) for r in pieces)
    numbers_df = spark.createDataFrame(
        [(subset, a, b, n) for (subset, a, b), n in numbers.items()],
        "subset string, count_block bigint, byte_block bigint, shard int",
    )
    rows = blocks.join(F.broadcast(numbers_df), ["subset", "count_block", "byte_block"]).select(
        "subset", "shard", "rank", *SAMPLE_COLUMNS, *CONCEPT_COLUMNS, *settings.json_columns
    )
    return ShardPlan(rows, shards_per_subset(numbers))


def write_shards(
    planned: DataFrame,
    images: DataFrame,
    pending: list[tuple[str, int]],
    settings: ExportSettings,
    fs: Any,
    out_root: str,
) -> list[dict[str, Any]]:
    """Write the `pending` (subset, shard) shards in Spark tasks; return one stats row per shard."""
    from pyspark.sql import functions as F

    spark = planned.sparkSession
    # Hash partitioning on a value chosen per shard puts each shard alone in its own task, with no
    # sampling pass over the rows (repartitionByRange would run the image join twice to sample it).
    routes = partition_routes(spark, len(pending))
    slots = spark.createDataFrame(
        [(subset, shard, slot, routes[slot]) for slot, (subset, shard) in enumerate(sorted(pending))],
        "subset string, shard int, slot int, route bigint",
    )
    image_bytes = images.select(
        "image_sha256",
        "image_bytes",
        F.col("width").alias("stored_width"),
        F.col("height").alias("stored_height"),
        "first_source_path",
        "first_member_path",
    )
    rows = (
        planned.join(F.broadcast(slots), ["subset", "shard"])
        .join(image_bytes, "image_sha256", "left")
        # Every row of a shard lands in one task: a shard is always written whole, by one writer.
        .repartition(len(pending), "route")
        .sortWithinPartitions("slot", "rank", "key")
        .drop("rank", "slot", "route")
    )
    writer = _shard_writer(fs.protocol, out_root, settings)
    return [r.asDict() for r in rows.mapInArrow(writer, WRITE_RESULT_DDL).collect()]


def partition_routes(spark: SparkSession, partitions: int) -> list[int]:
    """For each partition 0..n-1, a bigint that `repartition(n, col)` sends there.

    Spark's hash partitioning is `pmod(hash(col), n)` (Murmur3, seed 42), the SQL `hash` function; the
    first values that land in each partition are found by Spark itself, so this holds on any version."""
    from pyspark.sql import functions as F

    routes: dict[int, int] = {}
    searched = 0
    while len(routes) < partitions:
        window = max(64 * partitions, 1024)
        found = (
            spark.range(searched, searched + window)
            .select(F.expr(f"pmod(hash(id), {partitions})").alias("p"), "id")
            .groupBy("p")
            .agg(F.min("id").alias("id"))
            .collect()
        )
        for r in found:
            routes.setdefault(int(r["p"]), int(r["id"]))
        searched += window
    return [routes[p] for p in range(partitions)]


def _shard_writer(
    protocol: Any, out_root: str, settings: ExportSettings
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    export_format, max_side = settings.format, settings.max_side

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import fsspec
        import pyarrow as pa

        from biomedica_spark.export.sample_json import FORMATS
        from biomedica_spark.export.shards import SIDECARS, write_shard

        fs = fsspec.filesystem(protocol[0] if isinstance(protocol, tuple) else protocol)
        rows = (row for batch in batches for row in batch.to_pylist())
        for (subset, shard), group in itertools.groupby(rows, key=lambda r: (r["subset"], r["shard"])):
            result = write_shard(
                fs,
                f"{out_root}/{subset}",
                shard,
                group,
                FORMATS[export_format],
                max_side,
                SIDECARS[export_format],
            )
            quarantine = [_quarantine_row(row, item) for row, item in result.quarantine]
            yield pa.RecordBatch.from_pylist(
                [
                    {
                        "subset": subset,
                        "shard": shard,
                        "stats_json": json.dumps(result.stats),
                        "quarantine_json": json.dumps(quarantine),
                    }
                ],
                schema=pa.schema(
                    [
                        ("subset", pa.string()),
                        ("shard", pa.int32()),
                        ("stats_json", pa.string()),
                        ("quarantine_json", pa.string()),
                    ]
                ),
            )

    return write


def _quarantine_row(row: Mapping[str, Any], item: QuarantineItem) -> dict[str, Any]:
    return {
        "source_path": row.get("first_source_path"),
        "member_path": row.get("first_member_path"),
        "pmcid": row.get("pmcid"),
        "item": row["key"],
        "stage": item.stage.value,
        "reason_code": item.reason.value,
        "detail": item.detail[:2000],
    }


def _record_quarantine(spark: SparkSession, lake: Lake, written: list[dict[str, Any]], run_id: str) -> None:
    from biomedica_spark.lake.schemas import ddl

    now = dt.datetime.now(dt.timezone.utc)
    rows = [
        {**q, "run_id": run_id, "recorded_at": now}
        for shard in written
        for q in json.loads(shard["quarantine_json"])
    ]
    if rows:
        lake.insert_new("quarantine", spark.createDataFrame(rows, ddl("quarantine")))


def _count_filters(candidates: DataFrame, outcome: ExportResult) -> int:
    """Pairs per drop reason into `outcome`; returns how many candidate pairs carry concept labels."""
    from pyspark.sql import functions as F

    rows = (
        candidates.groupBy("drop_reason")
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(F.col("is_retracted").isNull().cast("int")).alias("retraction_unknown"),
            F.sum(has_labels().cast("int")).alias("labelled"),
        )
        .collect()
    )
    outcome.considered = sum(int(r["n"]) for r in rows)
    outcome.dropped = {reason: 0 for reason in DROP_REASONS}
    for r in rows:
        if r["drop_reason"] is None:
            outcome.retraction_unknown = int(r["retraction_unknown"] or 0)
            outcome.labelled = int(r["labelled"] or 0)
        else:
            outcome.dropped[r["drop_reason"]] = int(r["n"])
    return sum(int(r["labelled"] or 0) for r in rows)


def _fill_from_manifest(fs: Any, subset_dir: str, result: SubsetResult) -> None:
    from biomedica_spark.export.state import MANIFEST

    manifest = json.loads(fs.cat_file(f"{subset_dir}/{MANIFEST}"))
    result.shards = len(manifest["shards"])
    result.samples = int(manifest["total_samples"])
    result.failed = dict(manifest["failed"])


def _fill_totals(result: SubsetResult, stats: list[dict[str, Any]]) -> None:
    result.samples = sum(int(s["samples"]) for s in stats)
    failed: dict[str, int] = {}
    for s in stats:
        for reason, n in s["failed"].items():
            failed[reason] = failed.get(reason, 0) + int(n)
    result.failed = failed


def summary_lines(outcome: ExportResult) -> list[str]:
    """What the job prints: per subset its samples, shards and the `--train-data` pattern."""
    lines = [f"export run {outcome.run_id}"]
    if outcome.considered:
        kept = outcome.considered - sum(outcome.dropped.values())
        dropped = ", ".join(f"{k} {v}" for k, v in outcome.dropped.items() if v) or "none"
        lines.append(f"pairs considered {outcome.considered}, kept {kept}; dropped: {dropped}")
        if outcome.retraction_unknown:
            lines.append(
                f"retraction flag unknown (legacy packages) for {outcome.retraction_unknown} kept pairs: "
                "not excluded"
            )
        lines.append(
            f"concept labels on {outcome.labelled} of {kept} kept pairs"
            + ("" if outcome.labelled else " (run annotate to label them)")
        )
    for r in outcome.subsets:
        state = (
            "unchanged, nothing written"
            if r.status == SubsetStatus.COMPLETE.value
            else (f"{r.shards_written} shards written")
        )
        failed = f", failed {sum(r.failed.values())} ({r.failed})" if r.failed else ""
        lines.append(f"{r.subset}: {r.samples} samples in {r.shards} shards ({state}){failed}")
        if r.train_data:
            lines.append(f"  --train-data '{r.train_data}'")
    return lines
