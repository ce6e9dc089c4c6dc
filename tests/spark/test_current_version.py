"""The current-copy rule in SQL agrees with the same rule written as a Python sort key."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from biomedica_spark.extract import current_version

pytestmark = pytest.mark.spark

UTC = dt.timezone.utc


def _python_rank(row: dict) -> tuple:
    """DESIGN.md's rule, spelled out independently: larger tuple = preferred."""
    return (
        0 if row["is_manuscript"] else 1,
        row["json_last_modified"].timestamp() if row["json_last_modified"] else -1,
        row["version"] if row["version"] is not None else -1,
        1 if row["has_media"] else 0,
        row["source_mtime"].timestamp(),
        [-ord(c) for c in row["source_path"]],
    )


CANDIDATES = [
    {
        "is_manuscript": m,
        "json_last_modified": lm,
        "version": v,
        "has_media": media,
        "source_mtime": dt.datetime(2024, 1, mt, tzinfo=UTC),
        "source_path": path,
    }
    for m, lm, v, media, mt, path in [
        (None, None, None, False, 1, "b/bulk.xml"),
        (None, None, None, True, 1, "a/PMC1.tar.gz"),
        (None, None, None, True, 2, "z/PMC1.tar.gz"),
        (False, dt.datetime(2025, 5, 1, tzinfo=UTC), 1, True, 1, "cloud/PMC1.1.tar.gz"),
        (False, dt.datetime(2025, 4, 1, tzinfo=UTC), 2, True, 1, "cloud/PMC1.2.tar.gz"),
        (True, dt.datetime(2026, 1, 1, tzinfo=UTC), 3, True, 1, "cloud/PMC1.3.tar.gz"),
        (None, None, None, True, 1, "a/PMC1-copy.tar.gz"),
    ]
]


def test_preferred_over_matches_the_python_rule(spark) -> None:  # type: ignore[no-untyped-def]
    schema = (
        "is_manuscript boolean, json_last_modified timestamp, version int, has_media boolean, "
        "source_mtime timestamp, source_path string"
    )
    pairs = list(itertools.permutations(range(len(CANDIDATES)), 2))
    left = spark.createDataFrame([tuple(CANDIDATES[i].values()) for i, _ in pairs], schema)
    right = spark.createDataFrame([tuple(CANDIDATES[j].values()) for _, j in pairs], schema)
    from pyspark.sql import functions as F

    with_id = lambda df: df.withColumn("i", F.monotonically_increasing_id())  # noqa: E731
    joined = with_id(left).alias("s").join(with_id(right).alias("t"), "i").orderBy("i")
    got = [r[0] for r in joined.select(F.expr(current_version.preferred_over("s", "t"))).collect()]
    expected = [_python_rank(CANDIDATES[i]) > _python_rank(CANDIDATES[j]) for i, j in pairs]
    assert got == expected


def test_preference_order_puts_the_published_newest_copy_with_media_first(spark) -> None:  # type: ignore[no-untyped-def]
    schema = (
        "is_manuscript boolean, json_last_modified timestamp, version int, has_media boolean, "
        "source_mtime timestamp, source_path string"
    )
    df = spark.createDataFrame([tuple(c.values()) for c in CANDIDATES], schema)
    from biomedica_spark.lake.delta_io import sort_column

    first = df.orderBy(*[sort_column(o) for o in current_version.preference_order()]).first()
    assert first["source_path"] == max(CANDIDATES, key=_python_rank)["source_path"] == "cloud/PMC1.1.tar.gz"
