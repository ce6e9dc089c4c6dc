"""Collect the run report's numbers from the lake (Spark, through `Lake`) and write the HTML page.

Every section is read on its own: a table that is missing or unreadable becomes a note on the page
(and — in the funnel), never a failed report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from biomedica_spark import __version__
from biomedica_spark.lake import schemas
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.run_report.funnel import (
    DuplicateCounts,
    Reason,
    build_funnel,
    cluster_size_histogram,
    duplicate_bars,
    labelled,
    top_n,
)
from biomedica_spark.run_report.html import ReportData, RunRow, render_report
from biomedica_spark.run_report.manifests import (
    ExportedSubset,
    UnreadableManifest,
    exported_samples,
    parse_manifest,
)

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)
T = TypeVar("T")


def table_counts(lake: Lake) -> dict[str, int | None]:
    """Rows behind each funnel stage but the export (None where the table does not exist)."""

    def rows(table: str, where: str | None = None) -> int | None:
        if not lake.exists(table):
            return None
        df = lake.read(table)
        return (df.where(where) if where else df).count()

    clusters = None
    if lake.exists("image_clusters"):
        clusters = lake.read("image_clusters").select("cluster_id").distinct().count()
    return {
        "archives": rows("sources"),
        "articles": rows("articles"),
        "figures": rows("figures"),
        "images": rows("images"),
        "clusters": clusters,
        "canonical_pairs": rows("pairs", "is_canonical"),
    }


def quarantine_reasons(lake: Lake) -> list[Reason]:
    if not lake.exists("quarantine"):
        return []
    grouped = lake.read("quarantine").groupBy("stage", "reason_code").count().collect()
    return [Reason(str(r["stage"]), str(r["reason_code"]), int(r["count"])) for r in grouped]


def read_manifests(export_root: str) -> tuple[list[ExportedSubset], list[UnreadableManifest]]:
    """Every `<export_root>/<subset>/manifest.json` (fsspec: local or object store)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(export_root)
    root = root.rstrip("/")
    found: list[ExportedSubset] = []
    unreadable: list[UnreadableManifest] = []
    if not fs.exists(root):
        return found, unreadable
    for path in sorted(fs.glob(f"{root}/*/manifest.json")):
        try:
            parsed = parse_manifest(str(path), fs.cat_file(path))
        except OSError as error:
            parsed = UnreadableManifest(str(path), f"cannot read: {error}")
        if isinstance(parsed, ExportedSubset):
            found.append(parsed)
        else:
            unreadable.append(parsed)
    return found, unreadable


def concept_counts(lake: Lake) -> dict[str, list[tuple[str, int]]]:
    """Canonical pairs per global concept, panel type and concept source (unlabelled pairs included)."""
    from pyspark.sql import functions as F

    if not lake.exists("pairs"):
        return {"global_concepts": [], "panel_types": [], "concept_sources": []}
    canonical = lake.read("pairs").where("is_canonical")

    def grouped(df: DataFrame, column: str) -> list[tuple[str, int]]:
        return labelled([(r[column], int(r["count"])) for r in df.groupBy(column).count().collect()])

    concepts = canonical.select(F.explode_outer("global_concepts").alias("concept"))
    return {
        "global_concepts": grouped(concepts, "concept"),
        "panel_types": grouped(canonical, "panel_type"),
        "concept_sources": grouped(canonical, "concept_source"),
    }


def dedup_counts(lake: Lake) -> dict[str, list[tuple[str, int]]]:
    from pyspark.sql import functions as F

    if not (lake.exists("image_clusters") and lake.exists("figures") and lake.exists("pairs")):
        return {"cluster_sizes": [], "duplicates": [], "join_reasons": []}
    image_clusters = lake.read("image_clusters")
    sizes = image_clusters.groupBy("cluster_id").count().groupBy(F.col("count").alias("size")).count()
    by_size = {int(r["size"]): int(r["count"]) for r in sizes.collect()}
    with_image = lake.read("figures").where("image_sha256 IS NOT NULL")
    pairs = lake.read("pairs")
    counts = DuplicateCounts(
        figures_with_image=with_image.count(),
        distinct_figure_images=with_image.select("image_sha256").distinct().count(),
        images=image_clusters.count(),
        clusters=sum(by_size.values()),
        pairs=pairs.count(),
        canonical_pairs=pairs.where("is_canonical").count(),
    )
    reasons = image_clusters.groupBy("join_reason").count().collect()
    return {
        "cluster_sizes": cluster_size_histogram(by_size),
        "duplicates": duplicate_bars(counts),
        "join_reasons": sorted(
            labelled([(r["join_reason"], int(r["count"])) for r in reasons], missing="(none)"),
            key=lambda item: (-item[1], item[0]),
        ),
    }


def recent_runs(lake: Lake, limit: int) -> list[RunRow]:
    if not lake.exists("runs"):
        return []
    rows = lake.read("runs").orderBy("started_at", "run_id", ascending=False).limit(limit).collect()
    return [
        RunRow(
            run_id=str(r["run_id"]),
            job=str(r["job"]),
            status=str(r["status"]),
            started_at=_when(r["started_at"]),
            ended_at=_when(r["ended_at"]) if r["ended_at"] else None,
            seconds=(r["ended_at"] - r["started_at"]).total_seconds()
            if r["ended_at"] and r["started_at"]
            else None,
            versions_read=dict(r["table_versions_read"] or {}),
            versions_written=dict(r["table_versions_written"] or {}),
            message=r["message"],
        )
        for r in rows
    ]


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def collect_report(spark: SparkSession, cfg: DictConfig) -> ReportData:
    lake = Lake(spark, cfg)
    settings: Any = cfg.report
    top = int(settings.top_n)
    notes: list[str] = []

    def guarded(what: str, read: Callable[[], T], fallback: T) -> T:
        try:
            return read()
        except Exception as error:  # one unreadable table must not cost the whole report
            log.exception("report: cannot read %s", what)
            first_line = (str(error).splitlines() or [""])[0]
            notes.append(f"{what}: {type(error).__name__}: {first_line}")
            return fallback

    export_root = str(cfg.export.out)
    no_manifests: tuple[list[ExportedSubset], list[UnreadableManifest]] = ([], [])
    no_counts: dict[str, int | None] = {}
    no_charts: dict[str, list[tuple[str, int]]] = {}
    exports, unreadable = guarded("export manifests", lambda: read_manifests(export_root), no_manifests)
    counts = dict(guarded("table counts", lambda: table_counts(lake), no_counts))
    counts["exported_samples"] = exported_samples(exports)
    funnel = build_funnel(counts, guarded("quarantine", lambda: quarantine_reasons(lake), []))
    dedup = guarded("dedup tables", lambda: dedup_counts(lake), no_charts)
    concepts = guarded("pair concepts", lambda: concept_counts(lake), no_charts)
    return ReportData(
        title=str(settings.title),
        lake_root=lake.root,
        generated_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        package_version=__version__,
        funnel=funnel,
        cluster_sizes=dedup.get("cluster_sizes", []),
        duplicates=dedup.get("duplicates", []),
        join_reasons=dedup.get("join_reasons", []),
        global_concepts=top_n(concepts.get("global_concepts", []), top),
        panel_types=top_n(concepts.get("panel_types", []), top),
        concept_sources=concepts.get("concept_sources", []),
        exports=exports,
        unreadable_manifests=unreadable,
        export_root=export_root,
        table_versions=guarded("table versions", lambda: lake.versions(schemas.TABLES), {}),
        runs=guarded("runs", lambda: recent_runs(lake, int(settings.max_runs)), []),
        notes=notes,
    )


def write_text(path: str, text: str) -> None:
    """Write under a temporary name, then rename: a reader never sees half a page."""
    import fsspec

    fs, local = fsspec.core.url_to_fs(path)
    parent = local.rsplit("/", 1)[0] if "/" in local else "."
    fs.makedirs(parent, exist_ok=True)
    temporary = f"{local}.tmp"
    with fs.open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    fs.mv(temporary, local)


def run_report(spark: SparkSession, cfg: DictConfig) -> str:
    """Render the report of `lake.root` (and the export under `export.out`) to `report.out`."""
    out = str(cfg.report.out)
    write_text(out, render_report(collect_report(spark, cfg)))
    log.info("run report written to %s", out)
    return out
