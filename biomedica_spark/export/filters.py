"""Export filters as one Spark column: the first reason a pair is left out, or null when it is kept.

Every drop has a reason, and the job counts pairs per reason (`runs` counts and the printed summary),
so nothing leaves the export unexplained. Order matters only for which reason a pair is counted under.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biomedica_spark.export.sample_json import CONCEPT_COLUMNS
from biomedica_spark.export.settings import ExportConfigError, ExportSettings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

DROP_REASONS = (
    "not_canonical",
    "retracted",
    "third_party_permissions",
    "article_type",
    "image_too_small",
    "caption_too_short",
    "caption_too_long",
    "concept_not_included",
    "concept_excluded",
)


def with_concept_columns(df: DataFrame) -> DataFrame:
    """Annotate's columns, added as nulls to a `pairs` table written before they existed."""
    from pyspark.sql import functions as F

    types = {
        "panel_type": "string",
        "global_concepts": "array<string>",
        "local_concepts": "array<string>",
        "cluster_label_id": "int",
        "concept_source": "string",
        "concept_model_version": "string",
    }
    for name in CONCEPT_COLUMNS:
        if name not in df.columns:
            df = df.withColumn(name, F.lit(None).cast(types[name]))
    return df


def check_concept_filters(settings: ExportSettings, labelled_pairs: int) -> None:
    """A concept filter over a lake without labels would silently keep nothing (or everything)."""
    if settings.filters_concepts and labelled_pairs == 0:
        raise ExportConfigError(
            "export.concepts.include/exclude is set, but no pair of the selected subsets has concept "
            f"labels ({', '.join(CONCEPT_COLUMNS[:3])}): run the annotate job first, "
            "or clear the concept filters"
        )


def has_labels() -> Column:
    from pyspark.sql import functions as F

    return (
        F.col("panel_type").isNotNull()
        | (F.size(F.coalesce("global_concepts", F.array())) > 0)
        | (F.size(F.coalesce("local_concepts", F.array())) > 0)
    )


def concept_labels(df: DataFrame) -> Column:
    """A pair's labels, lower-cased: its panel type and its global and local concepts."""
    from pyspark.sql import functions as F

    empty = F.array().cast("array<string>")
    panel = F.when(F.col("panel_type").isNotNull(), F.array(F.col("panel_type"))).otherwise(empty)
    labels = F.concat(panel, F.coalesce("global_concepts", empty), F.coalesce("local_concepts", empty))
    return F.filter(
        F.transform(labels, lambda label: F.lower(F.trim(label))), lambda label: label.isNotNull()
    )


def drop_reason(settings: ExportSettings) -> Column:
    """Over `pairs` joined with `articles` and image sizes (`width`, `height`) and concept columns."""
    from pyspark.sql import functions as F

    s = settings
    caption_chars = F.char_length(F.coalesce(F.col("caption"), F.lit("")))
    conditions: list[tuple[str, Column]] = []
    if s.canonical_only:
        conditions.append(("not_canonical", ~F.coalesce(F.col("is_canonical"), F.lit(False))))
    if s.exclude_retracted:
        # Null (a lake built from legacy packages only) is unknown, not retracted: kept, and counted.
        conditions.append(("retracted", F.coalesce(F.col("is_retracted"), F.lit(False))))
    if s.exclude_third_party:
        conditions.append(("third_party_permissions", F.coalesce(F.col("has_own_permissions"), F.lit(False))))
    if s.exclude_article_types:
        conditions.append(
            ("article_type", F.coalesce(F.col("article_type").isin(*s.exclude_article_types), F.lit(False)))
        )
    # No size means no `images` row: kept here, so the writer quarantines it as image_missing.
    conditions.append(("image_too_small", F.least("width", "height") < F.lit(s.min_image_side)))
    conditions.append(("caption_too_short", caption_chars < F.lit(s.caption_min_chars)))
    if s.caption_max_chars is not None:
        conditions.append(("caption_too_long", caption_chars > F.lit(s.caption_max_chars)))
    labels = F.col("_concept_labels")
    if s.concepts_include:
        wanted = F.array(*[F.lit(c) for c in s.concepts_include])
        conditions.append(("concept_not_included", ~F.arrays_overlap(labels, wanted)))
    if s.concepts_exclude:
        unwanted = F.array(*[F.lit(c) for c in s.concepts_exclude])
        conditions.append(("concept_excluded", F.arrays_overlap(labels, unwanted)))
    reason: Column = F.lit(None).cast("string")
    for name, condition in reversed(conditions):
        reason = F.when(F.coalesce(condition, F.lit(False)), F.lit(name)).otherwise(reason)
    return reason


def apply_drop_reason(df: DataFrame, settings: ExportSettings) -> DataFrame:
    """`df` with `drop_reason` (null: kept); concept columns must exist (`with_concept_columns`)."""
    return (
        df.withColumn("_concept_labels", concept_labels(df))
        .withColumn("drop_reason", drop_reason(settings))
        .drop("_concept_labels")
    )
