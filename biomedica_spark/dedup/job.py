"""The dedup job on Spark: `images` -> `image_clusters` (+ `cluster_merges`), then `figures` -> `pairs`.

Images (never their bytes) -> exact-hash groups -> pigeonhole bands of pHash-64 -> buckets split into
tiles -> verification inside each group (`mapInArrow` over `verify.verify_batch`) -> verified edges ->
connected components over a small graph -> cluster ids. The expensive part is incremental: only pairs
with at least one image that has no `image_clusters` row yet are verified; images clustered by earlier
runs enter the graph as their cluster's id, so new images join existing clusters, and a new image that
bridges clusters merges them into the smallest id (recorded in `cluster_merges`). Everything cheaper
(cluster sizes, representatives, figure counts, pairs) is recomputed from the tables each run, and
`Lake.sync` writes only rows that changed: a re-run with nothing new commits nothing.

Commit order: cluster_merges (a crash after it is redone identically), image_clusters, pairs, runs.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from biomedica_spark.dedup.canonical import preference_order
from biomedica_spark.dedup.captions import caption_key
from biomedica_spark.dedup.components import connected_components
from biomedica_spark.dedup.pair_keys import pair_key
from biomedica_spark.dedup.verify import EDGE_DDL, MatchRule
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.lake.schemas import PAIR_CONCEPT_COLUMNS
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import Column, DataFrame, SparkSession

    from biomedica_spark.dedup.components import Materialize

log = logging.getLogger(__name__)

DEDUP_READS = ("images", "figures", "articles", "image_clusters")
DEDUP_WRITES = ("cluster_merges", "image_clusters", "pairs")
PAIR_POLICIES = ("image_caption", "image")


@dataclass(frozen=True)
class DedupSettings:
    rule: MatchRule
    line_art_max_info_score: float
    tile_size: int
    components_max_rounds: int
    pair_policy: str
    min_side: int = 0
    largest_clusters: int = 10

    def __post_init__(self) -> None:
        if self.pair_policy not in PAIR_POLICIES:
            raise ValueError(f"dedup.pair_key must be one of {PAIR_POLICIES}, got {self.pair_policy!r}")
        if self.tile_size < 2:
            raise ValueError(f"dedup.tile_size must be at least 2, got {self.tile_size}")


def settings_from_config(cfg: DictConfig) -> DedupSettings:
    d = cfg.dedup
    return DedupSettings(
        rule=MatchRule(
            phash64_max=int(d.phash64_max_distance),
            phash256_max=int(d.phash256_max_distance),
            phash256_max_line_art=int(d.phash256_max_distance_line_art),
        ),
        line_art_max_info_score=float(d.line_art_max_info_score),
        tile_size=int(d.tile_size),
        components_max_rounds=int(d.components_max_rounds),
        pair_policy=str(d.pair_key),
        min_side=int(d.min_side),
        largest_clusters=int(d.largest_clusters),
    )


@dataclass
class DedupResult:
    run_id: str
    report: dict[str, Any]


class Scratch:
    """Run-scoped Parquet staging under `${lake.root}/_staging/dedup/<run id>`: materialises intermediate
    results (cutting lineage) and is removed when the run ends."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.spark = spark
        self.root = root

    def __call__(self, df: DataFrame, name: str) -> DataFrame:
        path = f"{self.root}/{name}"
        started = time.perf_counter()
        df.write.mode("overwrite").parquet(path)
        log.info("dedup: staged %s in %.1f s", name, time.perf_counter() - started)
        return self.spark.read.schema(df.schema).parquet(path)

    def remove(self) -> None:
        import fsspec

        fs, local = fsspec.core.url_to_fs(self.root)
        if fs.exists(local):
            if fs.protocol in ("file", ("file", "local")):
                shutil.rmtree(local, ignore_errors=True)
            else:
                fs.rm(local, recursive=True)


def run_dedup(spark: SparkSession, cfg: DictConfig) -> DedupResult:
    from biomedica_spark.dedup.report import dedup_report

    lake = Lake(spark, cfg)
    lake.ensure((*DEDUP_READS, *DEDUP_WRITES, "runs"))
    settings = settings_from_config(cfg)
    recorder = RunRecorder(lake, "dedup", cfg)
    recorder.read_versions(DEDUP_READS)
    versions = dict(recorder.versions_read)

    def read(table: str) -> DataFrame:
        return lake.read(table, version=versions.get(table))

    # One dedup at a time per lake (its MERGEs would conflict anyway): leftovers of a crashed run go.
    Scratch(spark, f"{lake.root}/_staging/dedup").remove()
    scratch = Scratch(spark, f"{lake.root}/_staging/dedup/{recorder.run_id}")
    try:
        clustering = cluster_images(
            read("images"), read("image_clusters"), read("figures"), settings, recorder.run_id, scratch
        )
        lake.insert_new("cluster_merges", clustering.merges)
        lake.sync("image_clusters", clustering.clusters, ignore=("run_id",))
        built = build_pairs(read("figures"), read("articles"), clustering.clusters, settings, recorder.run_id)
        pairs = scratch(with_pair_concepts(built, lake.read("pairs")), "pairs")
        lake.sync("pairs", pairs, ignore=("run_id",))
        report = dedup_report(clustering, pairs, settings.largest_clusters)
    finally:
        scratch.remove()
    for name, value in report["counts"].items():
        recorder.count(name, value)
    recorder.finish(written_tables=DEDUP_WRITES, message=json.dumps(report, sort_keys=True, default=str))
    return DedupResult(recorder.run_id, report)


# --- images -> clusters ---------------------------------------------------------------------------------


@dataclass
class Clustering:
    clusters: DataFrame  # image_clusters rows, every image
    merges: DataFrame  # cluster_merges rows of this run
    new_images: int
    verified_edges: int


def cluster_images(
    images: DataFrame,
    existing: DataFrame,
    figures: DataFrame,
    settings: DedupSettings,
    run_id: str,
    materialize: Materialize,
) -> Clustering:
    """All `image_clusters` rows after adding the images that `existing` (image_clusters) lacks."""
    from pyspark.sql import functions as F

    features = materialize(image_features(images, existing, settings), "features")
    edges = materialize(verified_edges(features, settings), "edges")
    new_images = features.where("is_new").count()
    edge_count = edges.where("d64 IS NOT NULL").count()

    # The graph: a new image is its own node, an image clustered before is its cluster's node.
    node_of = features.select(F.col("image_sha256").alias("sha"), F.col("node"))
    graph = (
        edges.join(node_of.withColumnRenamed("sha", "a").withColumnRenamed("node", "src"), "a")
        .join(node_of.withColumnRenamed("sha", "b").withColumnRenamed("node", "dst"), "b")
        .select("src", "dst")
    )
    components = connected_components(graph, settings.components_max_rounds, materialize)
    old_ids = existing.select(F.col("cluster_id").alias("node")).distinct().withColumn("is_old", F.lit(True))
    labelled = components.join(old_ids, "node", "left").withColumn(
        "is_old", F.coalesce("is_old", F.lit(False))
    )
    winners = labelled.groupBy("component").agg(
        F.min(F.when(F.col("is_old"), F.col("node"))).alias("min_old"),
        F.min(F.when(~F.col("is_old"), F.col("node"))).alias("bridge_sha256"),
    )
    node_cluster = materialize(
        labelled.join(winners, "component").select(
            "node", "is_old", "bridge_sha256", F.coalesce("min_old", "component").alias("cluster_id")
        ),
        "node_cluster",
    )

    assigned = features.join(node_cluster.select("node", "cluster_id"), "node", "left").withColumn(
        "cluster_id", F.coalesce("cluster_id", "node")
    )
    clusters = materialize(_cluster_rows(assigned, edges, figures, run_id), "clusters")
    merges = materialize(_merges(node_cluster, existing, run_id), "merges")
    return Clustering(clusters, merges, new_images, edge_count)


def image_features(images: DataFrame, existing: DataFrame, settings: DedupSettings) -> DataFrame:
    """The columns dedup needs from `images` (never the bytes), with each image's earlier clustering.

    Gated (exact bytes only): extract's near-blank flag, or a trimmed side below `min_side` (a picture
    narrower than pHash's 32-pixel grid, such as a one-line formula or a scale bar, hashes mostly its
    aspect ratio: distinct ones collide)."""
    from pyspark.sql import functions as F

    earlier = existing.select(
        "image_sha256",
        F.col("cluster_id").alias("old_cluster_id"),
        F.when(
            F.col("distance").isNotNull(),
            F.struct(
                F.col("distance").alias("d64"),
                F.col("distance256").alias("d256"),
                F.col("nearest_sha256").alias("other"),
            ),
        ).alias("old_nearest"),
    )
    too_small = F.least("trimmed_width", "trimmed_height") < F.lit(settings.min_side)
    return (
        images.select(
            "image_sha256",
            F.col("phash64").alias("h64"),
            F.col("phash256").alias("h256"),
            (F.col("phash64").isNotNull() & (F.coalesce(F.length("phash256"), F.lit(0)) == 32)).alias(
                "hashable"
            ),
            (F.coalesce("is_near_blank", F.lit(False)) | F.coalesce(too_small, F.lit(False))).alias(
                "near_blank"
            ),
            F.coalesce(F.col("info_score") <= F.lit(settings.line_art_max_info_score), F.lit(False)).alias(
                "line_art"
            ),
            (
                F.coalesce("trimmed_width", "width", F.lit(0)).cast("bigint")
                * F.coalesce("trimmed_height", "height", F.lit(0)).cast("bigint")
            ).alias("area"),
        )
        .join(earlier, "image_sha256", "left")
        .withColumn("is_new", F.col("old_cluster_id").isNull())
        .withColumn("node", F.coalesce("old_cluster_id", "image_sha256"))
    )


def verified_edges(features: DataFrame, settings: DedupSettings) -> DataFrame:
    """Edges `(a, b, d64, d256)` between images: identical-hash groups as stars (distance 0), then the
    verified pairs of the banded, tiled buckets. Only pairs touching a new image are produced."""
    from pyspark.sql import functions as F

    eligible = features.where("hashable AND NOT near_blank")
    hash_groups = eligible.groupBy("h64", "h256").agg(
        F.min("image_sha256").alias("rep"),
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("is_new").cast("int")).alias("n_new"),
        F.max("line_art").alias("line_art"),
    )
    # Identical hashes are distance 0 whatever the thresholds: one star per group, one banded hash.
    stars = (
        eligible.join(hash_groups.where("n > 1 AND n_new > 0"), ["h64", "h256"])
        .where(F.col("image_sha256") != F.col("rep"))
        .select(
            F.col("image_sha256").alias("a"),
            F.col("rep").alias("b"),
            F.lit(0).alias("d64"),
            F.lit(0).alias("d256"),
        )
    )
    # A group with an old member was compared with everything old when that member was new.
    representatives = hash_groups.select(
        F.col("rep").alias("sha"), "h64", "h256", (F.col("n_new") == F.col("n")).alias("is_new"), "line_art"
    )
    return stars.unionByName(bucket_edges(representatives, settings))


def bucket_edges(hashes: DataFrame, settings: DedupSettings) -> DataFrame:
    """`hashes(sha, h64, h256, is_new, line_art)` -> verified edges, through banding and tiling."""
    from pyspark.sql import functions as F

    rule = settings.rule
    bands = F.explode(
        F.array(
            *[
                F.struct(F.lit(band).alias("band"), F.col("h64").bitwiseAND(F.lit(mask)).alias("bkey"))
                for band, mask in enumerate(rule.masks)
            ]
        )
    )
    banded = (
        hashes.select("sha", "h64", "h256", "is_new", "line_art", bands.alias("b"))
        .select("*", "b.band", "b.bkey")
        .drop("b")
    )
    live = (
        banded.groupBy("band", "bkey")
        .agg(F.count(F.lit(1)).alias("bucket_size"), F.max("is_new").alias("any_new"))
        .where("bucket_size > 1 AND any_new")
    )
    tiles: Column = F.ceil(F.col("bucket_size") / F.lit(settings.tile_size)).cast("int")
    tiled = (
        banded.join(live, ["band", "bkey"])
        .withColumn("tiles", tiles)
        .withColumn("tile", F.pmod(F.xxhash64("sha"), F.col("tiles")).cast("int"))
        .withColumn("other", F.explode(F.sequence(F.lit(0), F.col("tiles") - 1)))
        .withColumn("tile_i", F.least("tile", "other"))
        .withColumn("tile_j", F.greatest("tile", "other"))
    )
    groups = tiled.groupBy("band", "bkey", "tile_i", "tile_j").agg(
        F.collect_list(F.struct("sha", "h64", "h256", "is_new", "line_art", "tile")).alias("members")
    )
    return groups.select("band", "tile_i", "tile_j", "members").mapInArrow(_verify_udf(rule), EDGE_DDL)


def _verify_udf(rule: MatchRule) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def verify(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from biomedica_spark.dedup.verify import verify_batch

        for batch in batches:
            edges = verify_batch(batch, rule)
            if edges.num_rows:
                yield edges

    return verify


def _cluster_rows(assigned: DataFrame, edges: DataFrame, figures: DataFrame, run_id: str) -> DataFrame:
    from pyspark.sql import functions as F

    direct = edges.where("d64 IS NOT NULL")
    ends = direct.select(
        F.col("a").alias("image_sha256"), F.col("b").alias("other"), "d64", "d256"
    ).unionByName(direct.select(F.col("b").alias("image_sha256"), F.col("a").alias("other"), "d64", "d256"))
    nearest_now = ends.groupBy("image_sha256").agg(
        F.min(F.struct("d64", "d256", "other")).alias("new_nearest")
    )
    sizes = assigned.groupBy("cluster_id").agg(
        F.count(F.lit(1)).alias("cluster_size"),
        F.min(F.struct((-F.col("area")).alias("neg_area"), F.col("image_sha256"))).alias("largest"),
    )
    uses = (
        figures.where("image_sha256 IS NOT NULL")
        .groupBy("image_sha256")
        .agg(F.count(F.lit(1)).alias("figure_count"), F.countDistinct("article_key").alias("article_count"))
    )
    rows = (
        assigned.join(nearest_now, "image_sha256", "left")
        .join(sizes, "cluster_id")
        .join(uses, "image_sha256", "left")
        .withColumn("nearest", F.least("old_nearest", "new_nearest"))
        .withColumn("figure_count", F.coalesce("figure_count", F.lit(0)))
        .withColumn("article_count", F.coalesce("article_count", F.lit(0)))
    )
    reason = (
        F.when(~F.col("hashable"), F.lit("unhashed"))
        .when(F.col("near_blank"), F.lit("near_blank"))
        .when(F.col("cluster_size") > 1, F.lit("perceptual"))
        .when(F.col("figure_count") > 1, F.lit("exact"))
        .otherwise(F.lit("alone"))
    )
    perceptual = reason == "perceptual"
    return rows.select(
        "image_sha256",
        "cluster_id",
        "cluster_size",
        F.col("largest.image_sha256").alias("representative_sha256"),
        reason.alias("join_reason"),
        F.when(perceptual, F.col("nearest.d64")).alias("distance"),
        F.when(perceptual, F.col("nearest.d256")).alias("distance256"),
        F.when(perceptual, F.col("nearest.other")).alias("nearest_sha256"),
        F.col("line_art").alias("is_line_art"),
        "figure_count",
        "article_count",
        F.lit(run_id).alias("run_id"),
    )


def _merges(node_cluster: DataFrame, existing: DataFrame, run_id: str) -> DataFrame:
    from pyspark.sql import functions as F

    sizes = existing.groupBy("cluster_id").agg(F.count(F.lit(1)).alias("size"))
    merged = node_cluster.where(F.col("is_old") & (F.col("node") != F.col("cluster_id")))
    return (
        merged.join(
            sizes.withColumnRenamed("cluster_id", "node").withColumnRenamed("size", "from_size"), "node"
        )
        .join(sizes.withColumnRenamed("size", "into_size"), "cluster_id")
        .select(
            F.col("node").alias("from_cluster_id"),
            F.col("cluster_id").alias("into_cluster_id"),
            "from_size",
            "into_size",
            "bridge_sha256",
            F.lit(run_id).alias("run_id"),
            F.current_timestamp().alias("merged_at"),
        )
    )


# --- figures -> pairs -------------------------------------------------------------------------------------


def build_pairs(
    figures: DataFrame, articles: DataFrame, clusters: DataFrame, settings: DedupSettings, run_id: str
) -> DataFrame:
    """One `pairs` row per figure whose image has a cluster; one canonical pair per group."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    figure_rows = figures.where("image_sha256 IS NOT NULL").select(
        "article_key",
        "ordinal",
        F.col("pmcid").alias("figure_pmcid"),
        "figure_id",
        "label",
        "caption",
        "inline_refs",
        "image_sha256",
        "kind",
        "has_own_permissions",
    )
    article_rows = articles.select(
        "article_key",
        F.col("pmcid").alias("article_pmcid"),
        "license_subset",
        "license_code",
        "is_retracted",
        "pub_date",
    )
    rows = (
        figure_rows.join(article_rows, "article_key", "left")
        .join(clusters.select("image_sha256", "cluster_id"), "image_sha256")
        .withColumn("pair_key", F.pandas_udf(_pair_keys, "string")("article_key", "ordinal"))  # type: ignore[call-overload]
        .withColumn("caption_key", F.pandas_udf(_caption_keys, "string")("caption"))  # type: ignore[call-overload]
    )
    group_key = (
        F.concat_ws(":", "cluster_id", "caption_key")
        if settings.pair_policy == "image_caption"
        else F.col("cluster_id")
    )
    rows = rows.withColumn("group_key", group_key)
    group = Window.partitionBy("group_key")
    ordered = group.orderBy(*[F.expr(term) for term in preference_order()])
    ranked = (
        rows.withColumn("_rank", F.row_number().over(ordered))
        .withColumn("_canonical_key", F.first("pair_key").over(ordered))
        .withColumn("group_size", F.count(F.lit(1)).over(group))
    )
    return ranked.select(
        "pair_key",
        "article_key",
        "ordinal",
        F.coalesce("figure_pmcid", "article_pmcid").alias("pmcid"),
        "figure_id",
        "label",
        "image_sha256",
        "cluster_id",
        "caption",
        "caption_key",
        "inline_refs",
        "license_subset",
        "license_code",
        "is_retracted",
        "pub_date",
        "kind",
        "has_own_permissions",
        "group_key",
        "group_size",
        (F.col("_rank") == 1).alias("is_canonical"),
        F.when(F.col("_rank") > 1, F.col("_canonical_key")).alias("duplicate_of"),
        F.lit(run_id).alias("run_id"),
    )


def with_pair_concepts(pairs: DataFrame, current: DataFrame) -> DataFrame:
    """Carry the annotate job's label columns over from the current `pairs` (annotate owns them: a dedup
    re-run must not wipe them); new pairs get nulls until the next `propagate`."""
    return pairs.join(current.select("pair_key", *PAIR_CONCEPT_COLUMNS), "pair_key", "left")


def _pair_keys(article_key: pd.Series, ordinal: pd.Series) -> pd.Series:
    return pd.Series([pair_key(a, o) for a, o in zip(article_key, ordinal, strict=True)], dtype=object)


def _caption_keys(caption: pd.Series) -> pd.Series:
    return pd.Series([caption_key(c) for c in caption], dtype=object)
