"""The dedup report: what went in, what was grouped, what came out. Stored in `runs` (counts, and the
whole report as JSON in `message`) and printed by the job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from biomedica_spark.dedup.job import Clustering

EXAMPLE_PMCIDS = 3
_NO_SUBSET = "unknown"


def dedup_report(clustering: Clustering, pairs: DataFrame, largest: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    clusters = clustering.clusters
    totals = clusters.agg(
        F.count(F.lit(1)).alias("images_in"),
        F.countDistinct("cluster_id").alias("clusters"),
        F.sum(
            F.when((F.col("cluster_size") > 1) & (F.col("image_sha256") == F.col("representative_sha256")), 1)
        ).alias("near_duplicate_clusters"),
        F.sum(F.when(F.col("cluster_size") > 1, 1)).alias("images_in_near_duplicate_clusters"),
        F.sum(F.when(F.col("figure_count") > 1, 1)).alias("exact_groups"),
        F.sum(F.when(F.col("figure_count") > 1, F.col("figure_count"))).alias("figures_in_exact_groups"),
    ).first()
    counts: dict[str, int] = {k: int(v or 0) for k, v in (totals.asDict() if totals else {}).items()}
    counts["new_images"] = clustering.new_images
    counts["verified_edges"] = clustering.verified_edges
    counts["cluster_merges"] = clustering.merges.count()
    for row in clusters.groupBy("join_reason").count().collect():
        counts[f"join_reason.{row['join_reason']}"] = int(row["count"])

    by_subset = (
        pairs.groupBy(F.coalesce("license_subset", F.lit(_NO_SUBSET)).alias("subset"))
        .agg(F.count(F.lit(1)).alias("pairs"), F.sum(F.col("is_canonical").cast("int")).alias("canonical"))
        .orderBy("subset")
        .collect()
    )
    counts["pairs_in"] = sum(int(r["pairs"]) for r in by_subset)
    counts["canonical_pairs"] = sum(int(r["canonical"]) for r in by_subset)
    counts["duplicate_pairs"] = counts["pairs_in"] - counts["canonical_pairs"]
    for row in by_subset:
        counts[f"pairs.{row['subset']}"] = int(row["pairs"])
        counts[f"canonical_pairs.{row['subset']}"] = int(row["canonical"])

    top = (
        clusters.where("cluster_size > 1")
        .select("cluster_id", "cluster_size")
        .distinct()
        .orderBy(F.desc("cluster_size"), "cluster_id")
        .limit(largest)
    )
    examples = (
        pairs.join(top.select("cluster_id"), "cluster_id")
        .where("pmcid IS NOT NULL")
        .groupBy("cluster_id")
        .agg(F.slice(F.sort_array(F.collect_set("pmcid")), 1, EXAMPLE_PMCIDS).alias("pmcids"))
    )
    largest_clusters = [
        {
            "cluster_id": r["cluster_id"],
            "size": int(r["cluster_size"]),
            "example_pmcids": list(r["pmcids"] or []),
        }
        for r in top.join(examples, "cluster_id", "left")
        .orderBy(F.desc("cluster_size"), "cluster_id")
        .collect()
    ]
    return {"counts": counts, "largest_clusters": largest_clusters}


def format_report(report: dict[str, Any], run_id: str | None = None) -> str:
    counts: dict[str, int] = report["counts"]
    lines = [f"dedup run {run_id}" if run_id else "dedup"]

    def line(label: str, key: str, note: str = "") -> None:
        lines.append(f"  {label:<34} {counts.get(key, 0):>12,}{'  ' + note if note else ''}")

    line("images in", "images_in", f"({counts.get('new_images', 0):,} new this run)")
    line(
        "exact groups",
        "exact_groups",
        f"(images whose bytes {counts.get('figures_in_exact_groups', 0):,} figures share)",
    )
    line(
        "near-duplicate clusters",
        "near_duplicate_clusters",
        f"(holding {counts.get('images_in_near_duplicate_clusters', 0):,} images)",
    )
    line("verified pairs this run", "verified_edges")
    line("cluster merges this run", "cluster_merges")
    line("gated near-blank (exact only)", "join_reason.near_blank")
    line("unhashed (exact only)", "join_reason.unhashed")
    line("pairs in", "pairs_in")
    line("canonical pairs out", "canonical_pairs")
    line("duplicate pairs (not canonical)", "duplicate_pairs")
    subsets = sorted(key.split(".", 1)[1] for key in counts if key.startswith("pairs."))
    if subsets:
        lines.append(f"  {'by licence subset':<34} {'pairs':>12} {'canonical':>12}")
        for subset in subsets:
            lines.append(
                f"    {subset:<32} {counts[f'pairs.{subset}']:>12,} "
                f"{counts[f'canonical_pairs.{subset}']:>12,}"
            )
    if report["largest_clusters"]:
        lines.append("  largest clusters (cluster id, images, example pmcids)")
        for cluster in report["largest_clusters"]:
            examples = ", ".join(cluster["example_pmcids"]) or "-"
            lines.append(f"    {cluster['cluster_id'][:16]}  {cluster['size']:>8,}  {examples}")
    return "\n".join(lines)
