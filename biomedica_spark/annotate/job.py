"""The annotate job on Spark: `image_clusters` + `images` + `pairs` -> concept labels on every pair.

Steps (`annotate.step`), each idempotent and recorded as its own `runs` row (job `annotate.<step>`):
- embed: one vector per near-duplicate-cluster representative not yet embedded by this embedder version
  (`mapInArrow` over `embedders`), into `image_embeddings`; unreadable images go to `quarantine`.
- cluster: the current model (newest `annotate_models` row) assigns representatives it has not seen;
  with no model yet, or `annotate.refit=true`, a new StandardScaler + PCA + seeded k-means pipeline is
  fitted with Spark MLlib, saved under `models_dir/<model version>` and recorded first, so a crash
  before the assignments are written is finished by a re-run with the saved model.
- sheets: caption suggestions refreshed, an edited label CSV imported (if given), then per cluster a
  contact sheet PNG and a `labels.csv` template under `sheets.dir/<model version>/`.
- propagate: every pair gets its representative's k-means cluster and that cluster's label: the expert
  label when there is one, else a confident caption suggestion; only changed rows are written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from biomedica_spark.annotate.captions import SCORER_NAME, CaptionScorer
from biomedica_spark.annotate.embedders import EmbedderSpec, embed_batch, make_embedder, resolve_spec
from biomedica_spark.annotate.labels_csv import label_template, latest_per_cluster, parse_label_csv
from biomedica_spark.annotate.sheets import render_contact_sheet, sheet_file_name
from biomedica_spark.annotate.taxonomy import Taxonomy, default_taxonomy_path, load_taxonomy, validate_label
from biomedica_spark.dedup.job import Scratch
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.lake.schemas import PAIR_CONCEPT_COLUMNS
from biomedica_spark.quarantine import Reason, Stage
from biomedica_spark.runs import RunRecorder

if TYPE_CHECKING:
    import pyarrow as pa
    from omegaconf import DictConfig
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

STEPS = ("embed", "cluster", "sheets", "propagate")
ANNOTATE_TABLES = (
    "image_embeddings",
    "annotate_models",
    "concept_clusters",
    "cluster_labels",
    "caption_suggestions",
)
INPUT_TABLES = ("images", "image_clusters", "pairs")
EMBED_OUTPUT_DDL = (
    "image_sha256 string, embedding array<float>, dim int, reason_code string, detail string, "
    "source_path string, member_path string"
)
SUGGESTION_DDL = (
    "cluster_label_id int, panel_type string, global_concepts array<string>, local_concepts array<string>, "
    "confidence double, captions_scored int"
)


@dataclass(frozen=True)
class AnnotateSettings:
    step: str
    embedder: EmbedderSpec
    taxonomy_path: str
    k: int
    pca_components: int
    seed: int
    kmeans_max_iter: int
    refit: bool
    model_version: str | None
    models_dir: str
    embed_partitions: int
    sheets_dir: str
    sheet_samples: int
    sheet_columns: int
    sheet_thumb: int
    labels_csv: str | None
    captions_per_cluster: int
    min_confidence: float
    local_min_share: float

    def __post_init__(self) -> None:
        if self.step not in (*STEPS, "all"):
            raise ValueError(f"annotate.step must be one of {(*STEPS, 'all')}, got {self.step!r}")
        if self.k < 2 or self.pca_components < 1:
            raise ValueError(
                f"need annotate.k >= 2 and pca_components >= 1, got {self.k}, {self.pca_components}"
            )
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"annotate.captions.min_confidence must be in [0, 1], got {self.min_confidence}")


def settings_from_config(cfg: DictConfig, lake_root: str) -> AnnotateSettings:
    a = cfg.annotate
    dinov2 = a.dinov2
    taxonomy = str(a.taxonomy)
    taxonomy_path = taxonomy if taxonomy.endswith((".yaml", ".yml")) else str(default_taxonomy_path(taxonomy))
    return AnnotateSettings(
        step=str(a.step),
        embedder=resolve_spec(
            str(a.embedder),
            weights_path=dinov2.weights_path,
            arch=str(dinov2.arch),
            image_size=int(dinov2.image_size),
            batch_size=int(dinov2.batch_size),
            device=str(dinov2.device),
        ),
        taxonomy_path=taxonomy_path,
        k=int(a.k),
        pca_components=int(a.pca_components),
        seed=int(a.seed),
        kmeans_max_iter=int(a.kmeans_max_iter),
        refit=bool(a.refit),
        model_version=str(a.model_version) if a.model_version else None,
        models_dir=str(a.models_dir or f"{lake_root}/_models/annotate"),
        embed_partitions=int(a.embed_partitions),
        sheets_dir=str(a.sheets.dir or f"{lake_root}/_sheets/annotate"),
        sheet_samples=int(a.sheets.samples),
        sheet_columns=int(a.sheets.columns),
        sheet_thumb=int(a.sheets.thumb),
        labels_csv=str(a.sheets.labels_csv) if a.sheets.labels_csv else None,
        captions_per_cluster=int(a.captions.per_cluster),
        min_confidence=float(a.captions.min_confidence),
        local_min_share=float(a.captions.local_min_share),
    )


@dataclass
class StepResult:
    step: str
    run_id: str
    counts: dict[str, int] = field(default_factory=dict)
    model_version: str | None = None


def run_annotate(spark: SparkSession, cfg: DictConfig) -> list[StepResult]:
    """Run `annotate.step` (or all four steps in order) on the lake of `cfg`."""
    lake = Lake(spark, cfg)
    settings = settings_from_config(cfg, lake.root)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    lake.ensure((*INPUT_TABLES, *ANNOTATE_TABLES, "quarantine", "runs"))
    steps = STEPS if settings.step == "all" else (settings.step,)
    return [_run_step(lake, cfg, settings, taxonomy, step) for step in steps]


def _run_step(
    lake: Lake, cfg: DictConfig, settings: AnnotateSettings, taxonomy: Taxonomy, step: str
) -> StepResult:
    recorder = RunRecorder(lake, f"annotate.{step}", cfg)
    recorder.read_versions((*INPUT_TABLES, *ANNOTATE_TABLES))
    result = StepResult(step, recorder.run_id)
    with recorder.timed(step):
        if step == "embed":
            written: tuple[str, ...] = ("image_embeddings", "quarantine")
            result.counts = embed_representatives(lake, settings, recorder.run_id)
        elif step == "cluster":
            written = ("annotate_models", "concept_clusters")
            result.model_version, result.counts = cluster_representatives(lake, settings, recorder.run_id)
        elif step == "sheets":
            written = ("caption_suggestions", "cluster_labels", "quarantine")
            result.model_version, result.counts = make_sheets(lake, settings, taxonomy, recorder.run_id)
        else:
            written = ("caption_suggestions", "pairs")
            result.model_version, result.counts = propagate_labels(lake, settings, taxonomy, recorder.run_id)
    for name, value in result.counts.items():
        recorder.count(name, value)
    recorder.finish(written_tables=written, message=result.model_version)
    return result


# --- embed ---------------------------------------------------------------------------------------------


def embed_representatives(lake: Lake, settings: AnnotateSettings, run_id: str) -> dict[str, int]:
    from pyspark.sql import functions as F

    spec = settings.embedder
    representatives = (
        lake.read("image_clusters").select(F.col("representative_sha256").alias("image_sha256")).distinct()
    )
    done = lake.read("image_embeddings").where(
        (F.col("embedder") == spec.name) & (F.col("embedder_version") == spec.version)
    )
    # Bytes never change under a sha256: an image embed could not read once is not retried.
    unreadable = (
        lake.read("quarantine")
        .where(F.col("stage") == Stage.EMBED.value)
        .select(F.col("item").alias("image_sha256"))
    )
    todo = representatives.join(done.select("image_sha256"), "image_sha256", "left_anti").join(
        unreadable, "image_sha256", "left_anti"
    )
    pending = todo.count()
    if pending == 0:
        return {"representatives_pending": 0, "embedded": 0, "quarantined": 0}
    images = lake.read("images").select(
        "image_sha256", "image_bytes", "first_source_path", "first_member_path"
    )
    partitions = settings.embed_partitions or int(lake.spark.conf.get("spark.sql.shuffle.partitions") or "8")
    rows = todo.join(images, "image_sha256", "left").repartition(min(partitions, pending), "image_sha256")
    scratch = Scratch(lake.spark, f"{lake.root}/_staging/annotate/{run_id}")
    try:
        out = scratch(rows.mapInArrow(_embed_udf(spec), EMBED_OUTPUT_DDL), "embedded")
        good = out.where("reason_code IS NULL").select(
            "image_sha256",
            F.lit(spec.name).alias("embedder"),
            F.lit(spec.version).alias("embedder_version"),
            "embedding",
            "dim",
            F.lit(run_id).alias("run_id"),
            F.current_timestamp().alias("embedded_at"),
        )
        bad = out.where("reason_code IS NOT NULL").select(
            F.coalesce("source_path", F.lit("")).alias("source_path"),
            "member_path",
            F.lit(None).cast("string").alias("pmcid"),
            F.col("image_sha256").alias("item"),
            F.lit(Stage.EMBED.value).alias("stage"),
            "reason_code",
            "detail",
            F.lit(run_id).alias("run_id"),
            F.current_timestamp().alias("recorded_at"),
        )
        embedded, quarantined = good.count(), bad.count()
        if embedded:
            lake.insert_new("image_embeddings", good)
        if quarantined:
            lake.insert_new("quarantine", bad)
    finally:
        scratch.remove()
    return {"representatives_pending": pending, "embedded": embedded, "quarantined": quarantined}


def _embed_udf(spec: EmbedderSpec) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def embed(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        embedder = make_embedder(spec)  # once per task: a DINOv2 model loads once, not per batch
        for batch in batches:
            yield embed_batch(embedder, batch)

    return embed


# --- cluster -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    model_version: str
    embedder: str
    embedder_version: str
    model_path: str


def current_model(lake: Lake, model_version: str | None = None) -> ModelInfo | None:
    """The named model version, else the newest fitted one; None when nothing was fitted yet."""
    models = lake.read("annotate_models")
    if model_version is not None:
        models = models.where(models.model_version == model_version)
    row = models.orderBy(models.fitted_at.desc(), models.model_version.desc()).first()
    if row is None:
        if model_version is not None:
            raise ValueError(f"annotate.model_version={model_version!r} is not in annotate_models")
        return None
    return ModelInfo(row["model_version"], row["embedder"], row["embedder_version"], row["model_path"])


def require_model(lake: Lake, settings: AnnotateSettings) -> ModelInfo:
    model = current_model(lake, settings.model_version)
    if model is None:
        raise ValueError("no annotate model yet: run annotate.step=cluster first")
    return model


def cluster_representatives(
    lake: Lake, settings: AnnotateSettings, run_id: str
) -> tuple[str, dict[str, int]]:
    from pyspark.ml import PipelineModel
    from pyspark.sql import functions as F

    spec = settings.embedder
    counts: dict[str, int] = {}
    model = current_model(lake)
    if model is not None and not settings.refit and model.embedder_version != spec.version:
        raise ValueError(
            f"the current model {model.model_version} was fitted on "
            f"{model.embedder}/{model.embedder_version}, not {spec.name}/{spec.version}: "
            "set annotate.refit=true to fit a model for this embedder"
        )
    if model is None or settings.refit:
        model = _fit_model(lake, settings, run_id)
        counts["models_fitted"] = 1
    pipeline = PipelineModel.load(model.model_path)
    assigned = lake.read("concept_clusters").where(F.col("model_version") == model.model_version)
    todo = _vectors(lake, model.embedder, model.embedder_version).join(
        assigned.select("image_sha256"), "image_sha256", "left_anti"
    )
    rows = pipeline.transform(todo).select(
        "image_sha256",
        F.lit(model.model_version).alias("model_version"),
        F.col("cluster").cast("int").alias("cluster_label_id"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("assigned_at"),
    )
    scratch = Scratch(lake.spark, f"{lake.root}/_staging/annotate/{run_id}")
    try:
        staged = scratch(rows, "assignments")
        counts["assigned"] = staged.count()
        if counts["assigned"]:
            lake.insert_new("concept_clusters", staged)
    finally:
        scratch.remove()
    return model.model_version, counts


def _vectors(lake: Lake, embedder: str, embedder_version: str) -> DataFrame:
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F

    return (
        lake.read("image_embeddings")
        .where((F.col("embedder") == embedder) & (F.col("embedder_version") == embedder_version))
        .select("image_sha256", array_to_vector(F.col("embedding").cast("array<double>")).alias("features"))
    )


def _fit_model(lake: Lake, settings: AnnotateSettings, run_id: str) -> ModelInfo:
    from pyspark.ml import Pipeline
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import PCA, StandardScaler
    from pyspark.sql import functions as F

    spec = settings.embedder
    embeddings = lake.read("image_embeddings").where(
        (F.col("embedder") == spec.name) & (F.col("embedder_version") == spec.version)
    )
    stats = embeddings.agg(F.count(F.lit(1)).alias("n"), F.max("dim").alias("dim")).first()
    images, dim = (int(stats["n"]), int(stats["dim"] or 0)) if stats else (0, 0)
    if images < 2:
        raise ValueError(f"need at least 2 embeddings of {spec.name}/{spec.version} to fit, found {images}")
    if settings.pca_components > dim:
        raise ValueError(
            f"annotate.pca_components={settings.pca_components} exceeds the embedding size {dim}"
        )
    version = f"k{settings.k}-p{settings.pca_components}-s{settings.seed}-{run_id}"
    path = f"{settings.models_dir}/{version}"
    pipeline = Pipeline(
        stages=[
            StandardScaler(inputCol="features", outputCol="scaled", withMean=True, withStd=True),
            PCA(k=settings.pca_components, inputCol="scaled", outputCol="reduced"),
            KMeans(
                k=min(settings.k, images),
                seed=settings.seed,
                maxIter=settings.kmeans_max_iter,
                featuresCol="reduced",
                predictionCol="cluster",
            ),
        ]
    )
    fitted = pipeline.fit(_vectors(lake, spec.name, spec.version))
    fitted.write().overwrite().save(path)
    row = (
        version,
        spec.name,
        spec.version,
        min(settings.k, images),
        settings.pca_components,
        settings.seed,
        path,
        images,
        run_id,
        dt.datetime.now(dt.timezone.utc),
    )
    from biomedica_spark.lake.schemas import ddl

    lake.insert_new("annotate_models", lake.spark.createDataFrame([row], ddl("annotate_models")))
    log.info("annotate: fitted model %s on %d images, saved to %s", version, images, path)
    return ModelInfo(version, spec.name, spec.version, path)


# --- caption suggestions ----------------------------------------------------------------------------------


def cluster_members(lake: Lake, model_version: str) -> DataFrame:
    """(image_sha256, cluster_label_id) for every image whose representative the model assigned."""
    from pyspark.sql import functions as F

    assigned = lake.read("concept_clusters").where(F.col("model_version") == model_version)
    return (
        lake.read("image_clusters")
        .select("image_sha256", F.col("representative_sha256"))
        .join(
            assigned.select(F.col("image_sha256").alias("representative_sha256"), "cluster_label_id"),
            "representative_sha256",
        )
        .select("image_sha256", "cluster_label_id")
    )


def refresh_suggestions(
    lake: Lake, settings: AnnotateSettings, taxonomy: Taxonomy, model_version: str, run_id: str
) -> int:
    """Score a sample of each cluster's canonical captions; write suggestions that changed."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    captions = (
        lake.read("pairs")
        .where("is_canonical")
        .select("pair_key", "image_sha256", "caption")
        .join(cluster_members(lake, model_version), "image_sha256")
    )
    order = Window.partitionBy("cluster_label_id").orderBy(F.xxhash64("pair_key"), "pair_key")
    sampled = (
        captions.withColumn("_n", F.row_number().over(order))
        .where(F.col("_n") <= settings.captions_per_cluster)
        .select("cluster_label_id", "caption")
    )
    scored = sampled.groupBy("cluster_label_id").applyInPandas(
        _suggest_udf(taxonomy, settings.local_min_share), SUGGESTION_DDL
    )
    rows = scored.select(
        F.lit(model_version).alias("model_version"),
        "*",
        F.lit(SCORER_NAME).alias("scorer"),
        F.lit(run_id).alias("run_id"),
    )
    compared = ("panel_type", "global_concepts", "local_concepts", "confidence", "captions_scored", "scorer")
    return upsert_changed(lake, "caption_suggestions", rows, compared)


def upsert_changed(lake: Lake, table: str, df: DataFrame, compared: Sequence[str]) -> int:
    """Upsert the rows of `df` whose key is new or whose `compared` columns differ (null-safe); nothing
    to change means no commit. Returns the rows written."""
    from pyspark.sql import functions as F

    from biomedica_spark.lake.schemas import KEYS

    keys = list(KEYS[table])
    target = lake.read(table).select(
        *keys, *[F.col(c).alias(f"_old_{c}") for c in compared], F.lit(True).alias("_present")
    )
    differs = " OR ".join(f"NOT (`{c}` <=> `_old_{c}`)" for c in compared) or "false"
    changed = df.join(target, keys, "left").where(f"_present IS NULL OR {differs}").select(*df.columns)
    count = changed.count()
    if count:
        lake.upsert(table, changed)
    return count


def _suggest_udf(taxonomy: Taxonomy, local_min_share: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def suggest(group: pd.DataFrame) -> pd.DataFrame:
        scorer = CaptionScorer(taxonomy, local_min_share)
        suggestion = scorer.suggest(list(group["caption"]))
        return pd.DataFrame(
            {
                "cluster_label_id": [int(group["cluster_label_id"].iloc[0])],
                "panel_type": [suggestion.panel_type],
                "global_concepts": [list(suggestion.global_concepts)],
                "local_concepts": [list(suggestion.local_concepts)],
                "confidence": [suggestion.confidence],
                "captions_scored": [suggestion.captions],
            }
        )

    return suggest


# --- sheets and expert labels ------------------------------------------------------------------------------


def make_sheets(
    lake: Lake, settings: AnnotateSettings, taxonomy: Taxonomy, run_id: str
) -> tuple[str, dict[str, int]]:
    import fsspec

    model = require_model(lake, settings)
    counts = {
        "suggestions_written": refresh_suggestions(lake, settings, taxonomy, model.model_version, run_id)
    }
    if settings.labels_csv:
        imported, rejected = import_label_csv(lake, taxonomy, settings.labels_csv, run_id)
        counts.update(labels_imported=imported, labels_rejected=rejected)
    folder = f"{settings.sheets_dir}/{model.model_version}"
    fs, local = fsspec.core.url_to_fs(folder)
    fs.makedirs(local, exist_ok=True)
    sheets = 0
    for row in _rendered_sheets(lake, settings, model.model_version).toLocalIterator():
        with fs.open(f"{local}/{sheet_file_name(int(row['cluster_label_id']))}", "wb") as handle:
            handle.write(row["png"])
        sheets += 1
    template = label_template(_template_rows(lake, model.model_version))
    with fs.open(f"{local}/labels.csv", "w", encoding="utf-8") as handle:
        handle.write(template)
    counts["sheets"] = sheets
    log.info("annotate: %d contact sheets and labels.csv in %s", sheets, folder)
    return model.model_version, counts


def _rendered_sheets(lake: Lake, settings: AnnotateSettings, model_version: str) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    assigned = lake.read("concept_clusters").where(F.col("model_version") == model_version)
    order = Window.partitionBy("cluster_label_id").orderBy(F.xxhash64("image_sha256"), "image_sha256")
    sampled = (
        assigned.withColumn("_n", F.row_number().over(order))
        .where(F.col("_n") <= settings.sheet_samples)
        .select("image_sha256", "cluster_label_id", "_n")
    )
    captions = (
        lake.read("pairs")
        .join(lake.read("image_clusters").select("image_sha256", "representative_sha256"), "image_sha256")
        .groupBy(F.col("representative_sha256").alias("image_sha256"))
        .agg(F.min(F.struct(~F.col("is_canonical"), F.col("pair_key"), F.col("caption"))).alias("first"))
        .select("image_sha256", F.col("first.caption").alias("caption"))
    )
    samples = sampled.join(
        lake.read("images").select("image_sha256", "image_bytes"), "image_sha256", "left"
    ).join(captions, "image_sha256", "left")
    render = _render_udf(model_version, settings.sheet_columns, settings.sheet_thumb)
    return samples.groupBy("cluster_label_id").applyInPandas(render, "cluster_label_id int, png binary")


def _render_udf(model_version: str, columns: int, thumb: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def render(group: pd.DataFrame) -> pd.DataFrame:
        group = group.sort_values("_n")
        cluster = int(group["cluster_label_id"].iloc[0])
        samples = list(zip(group["image_bytes"], group["caption"], strict=True))
        title = f"model {model_version} - cluster {cluster} - {len(samples)} samples"
        png = render_contact_sheet(title, samples, columns=columns, thumb=thumb)
        return pd.DataFrame({"cluster_label_id": [cluster], "png": [png]})

    return render


def _template_rows(lake: Lake, model_version: str) -> list[dict[str, Any]]:
    """One row per cluster: the current expert label (so a re-import changes nothing), hints beside it."""
    from pyspark.sql import functions as F

    sizes = (
        lake.read("concept_clusters")
        .where(F.col("model_version") == model_version)
        .groupBy("cluster_label_id")
        .agg(F.count(F.lit(1)).alias("images"))
    )
    labels = lake.read("cluster_labels").where(F.col("model_version") == model_version).drop("model_version")
    hints = (
        lake.read("caption_suggestions")
        .where(F.col("model_version") == model_version)
        .select(
            "cluster_label_id",
            F.col("panel_type").alias("suggested_panel_type"),
            F.col("global_concepts").alias("suggested_global_concepts"),
            F.col("local_concepts").alias("suggested_local_concepts"),
            F.col("confidence").alias("suggestion_confidence"),
        )
    )
    joined = sizes.join(labels, "cluster_label_id", "left").join(hints, "cluster_label_id", "left")
    rows = []
    for row in joined.orderBy("cluster_label_id").collect():
        values = row.asDict()
        values["model_version"] = model_version
        values["sheet"] = sheet_file_name(int(values["cluster_label_id"]))
        rows.append({k: v if v is not None else "" for k, v in values.items()})
    return rows


def record_label(
    lake: Lake,
    taxonomy: Taxonomy,
    model_version: str,
    cluster_label_id: int,
    *,
    panel_type: str | None,
    global_concepts: Sequence[str],
    local_concepts: Sequence[str] = (),
    panel_subtype: str | None = None,
    annotator: str,
    note: str | None = None,
) -> None:
    """Validate one expert label against the taxonomy and the model's clusters, then upsert it (the
    notebook's way to label a cluster; SQL works too but checks nothing)."""
    from pyspark.sql import functions as F

    label, problems = validate_label(taxonomy, panel_type, panel_subtype, global_concepts, local_concepts)
    known = lake.read("concept_clusters").where(
        (F.col("model_version") == model_version) & (F.col("cluster_label_id") == int(cluster_label_id))
    )
    if known.limit(1).count() == 0:
        problems.append(f"model {model_version!r} has no cluster {cluster_label_id}")
    if label is None or problems:
        raise ValueError(f"label for cluster {cluster_label_id} refused: {'; '.join(problems)}")
    from biomedica_spark.lake.schemas import ddl

    row = (
        model_version,
        int(cluster_label_id),
        label.panel_type,
        label.panel_subtype,
        list(label.global_concepts),
        list(label.local_concepts),
        annotator,
        dt.datetime.now(dt.timezone.utc),
        note,
    )
    lake.upsert("cluster_labels", lake.spark.createDataFrame([row], ddl("cluster_labels")))


def import_label_csv(lake: Lake, taxonomy: Taxonomy, csv_path: str, run_id: str) -> tuple[int, int]:
    """Upsert the CSV's valid labels into `cluster_labels` (rows whose label changed), quarantine the rest."""
    import fsspec

    with fsspec.open(csv_path, "r", encoding="utf-8") as handle:
        text = handle.read()
    known = {
        (str(r["model_version"]), int(r["cluster_label_id"]))
        for r in lake.read("concept_clusters")
        .select("model_version", "cluster_label_id")
        .distinct()
        .collect()
    }
    labels, rejected = parse_label_csv(text, taxonomy, known)
    labels = latest_per_cluster(labels)
    now = dt.datetime.now(dt.timezone.utc)
    if labels:
        from biomedica_spark.lake.schemas import ddl

        rows = [
            (
                item.model_version,
                item.cluster_label_id,
                item.label.panel_type,
                item.label.panel_subtype,
                list(item.label.global_concepts),
                list(item.label.local_concepts),
                item.annotator or "csv",
                now,
                item.note,
            )
            for item in labels
        ]
        compared = ("panel_type", "panel_subtype", "global_concepts", "local_concepts", "annotator", "note")
        upsert_changed(
            lake, "cluster_labels", lake.spark.createDataFrame(rows, ddl("cluster_labels")), compared
        )
    if rejected:
        from biomedica_spark.lake.schemas import ddl

        quarantine = [
            (
                csv_path,
                f"line {r.line}",
                None,
                r.cluster,
                Stage.LABELS.value,
                Reason.LABEL_INVALID.value,
                "; ".join(r.reasons),
                run_id,
                now,
            )
            for r in rejected
        ]
        upsert_changed(lake, "quarantine", lake.spark.createDataFrame(quarantine, ddl("quarantine")), ())
        for r in rejected:
            log.warning(
                "annotate: %s line %d (%s) rejected: %s", csv_path, r.line, r.cluster, "; ".join(r.reasons)
            )
    return len(labels), len(rejected)


# --- propagate ---------------------------------------------------------------------------------------------


def pair_concepts(
    pairs: DataFrame,
    members: DataFrame,
    expert: DataFrame,
    suggestions: DataFrame,
    model_version: str,
    min_confidence: float,
) -> DataFrame:
    """`pairs` keys with the label columns: the expert label of the pair's cluster, else a suggestion at
    or above `min_confidence` that names a concept, else no source and empty arrays."""
    from pyspark.sql import functions as F

    empty = F.array().cast("array<string>")
    confident = suggestions.where(
        (F.col("confidence") >= F.lit(min_confidence)) & (F.size("global_concepts") > 0)
    ).select(
        "cluster_label_id",
        F.col("panel_type").alias("s_panel"),
        F.col("global_concepts").alias("s_global"),
        F.col("local_concepts").alias("s_local"),
        F.lit(True).alias("s_present"),
    )
    experts = expert.select(
        "cluster_label_id",
        F.col("panel_type").alias("e_panel"),
        F.col("global_concepts").alias("e_global"),
        F.col("local_concepts").alias("e_local"),
        F.lit(True).alias("e_present"),
    )
    joined = (
        pairs.select("pair_key", "image_sha256")
        .join(members, "image_sha256", "left")
        .join(experts, "cluster_label_id", "left")
        .join(confident, "cluster_label_id", "left")
    )
    is_expert = F.col("e_present").isNotNull()
    is_caption = ~is_expert & F.col("s_present").isNotNull()
    return joined.select(
        "pair_key",
        F.col("cluster_label_id").cast("int").alias("cluster_label_id"),
        F.when(is_expert, F.col("e_panel")).when(is_caption, F.col("s_panel")).alias("panel_type"),
        F.when(is_expert, F.coalesce("e_global", empty))
        .when(is_caption, F.col("s_global"))
        .otherwise(empty)
        .alias("global_concepts"),
        F.when(is_expert, F.coalesce("e_local", empty))
        .when(is_caption, F.coalesce("s_local", empty))
        .otherwise(empty)
        .alias("local_concepts"),
        F.when(is_expert, F.lit("expert")).when(is_caption, F.lit("caption")).alias("concept_source"),
        F.when(F.col("cluster_label_id").isNotNull(), F.lit(model_version)).alias("concept_model_version"),
    )


def propagate_labels(
    lake: Lake, settings: AnnotateSettings, taxonomy: Taxonomy, run_id: str
) -> tuple[str, dict[str, int]]:
    from pyspark.sql import functions as F

    model = require_model(lake, settings)
    version = model.model_version
    suggestions_written = refresh_suggestions(lake, settings, taxonomy, version, run_id)
    concepts = pair_concepts(
        lake.read("pairs"),
        cluster_members(lake, version),
        lake.read("cluster_labels").where(F.col("model_version") == version),
        lake.read("caption_suggestions").where(F.col("model_version") == version),
        version,
        settings.min_confidence,
    )
    scratch = Scratch(lake.spark, f"{lake.root}/_staging/annotate/{run_id}")
    try:
        staged = scratch(concepts, "pair_concepts")
        by_source = {
            str(r["concept_source"]): int(r["n"])
            for r in staged.groupBy("concept_source").agg(F.count(F.lit(1)).alias("n")).collect()
        }
        changed = lake.update_columns("pairs", staged, PAIR_CONCEPT_COLUMNS)
    finally:
        scratch.remove()
    counts = {
        "suggestions_written": suggestions_written,
        "pairs_changed": changed,
        "pairs_expert": by_source.get("expert", 0),
        "pairs_caption": by_source.get("caption", 0),
        "pairs_unlabelled": by_source.get("None", 0),
    }
    return version, counts
