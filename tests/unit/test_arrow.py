"""Spark -> Arrow schemas and rows -> Arrow batches (no Spark session needed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyarrow as pa
import pytest
from pyspark.sql import types as T

from biomedica_spark.lake.arrow import arrow_schema, flat_ddl_arrow_schema, record_batches

SCHEMA = pa.schema([pa.field("n", pa.int32()), pa.field("name", pa.string())])


def rows(count: int) -> Iterator[dict[str, object]]:
    return ({"n": i, "name": f"row {i}"} for i in range(count))


@pytest.mark.parametrize(("count", "sizes"), [(0, []), (1, [1]), (4, [4]), (5, [4, 1]), (9, [4, 4, 1])])
def test_rows_become_batches_of_at_most_n_and_keep_their_order(count: int, sizes: list[int]) -> None:
    batches = list(record_batches(rows(count), SCHEMA, 4))
    assert [b.num_rows for b in batches] == sizes
    assert all(b.schema == SCHEMA for b in batches)
    assert [r for b in batches for r in b.to_pylist()] == list(rows(count))


def test_batches_are_yielded_as_soon_as_they_are_full() -> None:
    """A UDF holds at most one batch: the first batch comes before the rows after it are produced."""
    produced: list[int] = []

    def counted() -> Iterator[dict[str, object]]:
        for row in rows(10):
            produced.append(int(row["n"]))  # type: ignore[call-overload]
            yield row

    first = next(record_batches(counted(), SCHEMA, 3))
    assert first.num_rows == 3 and produced == [0, 1, 2]


def test_missing_keys_are_nulls_and_a_batch_size_below_one_is_refused() -> None:
    (batch,) = record_batches([{"n": 1}], SCHEMA, 2)
    assert batch.to_pylist() == [{"n": 1, "name": None}]
    with pytest.raises(ValueError, match="at least one row"):
        list(record_batches(rows(1), SCHEMA, 0))


def test_a_flat_ddl_gives_the_same_schema_as_its_spark_schema() -> None:
    ddl = """
    pmcid string, version int, size bigint, ok boolean, data binary, seen timestamp, day date,
    score double
    """
    schema = flat_ddl_arrow_schema(ddl)
    spark_schema = T.StructType(
        [
            T.StructField("pmcid", T.StringType()),
            T.StructField("version", T.IntegerType()),
            T.StructField("size", T.LongType()),
            T.StructField("ok", T.BooleanType()),
            T.StructField("data", T.BinaryType()),
            T.StructField("seen", T.TimestampType()),
            T.StructField("day", T.DateType()),
            T.StructField("score", T.DoubleType()),
        ]
    )
    assert schema == arrow_schema(spark_schema)
    assert schema.field("seen").type == pa.timestamp("us", tz="UTC")
    when = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    assert pa.RecordBatch.from_pylist([{"seen": when}], schema=schema).to_pylist()[0]["seen"] == when


@pytest.mark.parametrize("ddl", ["a array<string>", "a string b int", "a varchar(3)", "a decimal(10,2)"])
def test_a_ddl_that_is_not_flat_and_simple_is_refused(ddl: str) -> None:
    with pytest.raises(ValueError, match="not a flat DDL column"):
        flat_ddl_arrow_schema(ddl)
