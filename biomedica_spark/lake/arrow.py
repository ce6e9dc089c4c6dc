"""Spark schema -> Arrow schema, and rows -> Arrow batches, for UDFs that emit Arrow batches (mapInArrow).

pyspark's own converter is private and changed signature between 3.5 and 4.x, so the few types the
tables use are mapped here. Timestamps are UTC instants, as Spark stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql import types as T

# Simple types of a DDL string, for schemas built without a Spark session (its parser needs the JVM).
_DDL_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "bigint": T.LongType(),
    "int": T.IntegerType(),
    "smallint": T.ShortType(),
    "double": T.DoubleType(),
    "float": T.FloatType(),
    "boolean": T.BooleanType(),
    "binary": T.BinaryType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}


def arrow_type(data_type: T.DataType) -> pa.DataType:
    simple: dict[type, pa.DataType] = {
        T.StringType: pa.string(),
        T.LongType: pa.int64(),
        T.IntegerType: pa.int32(),
        T.ShortType: pa.int16(),
        T.DoubleType: pa.float64(),
        T.FloatType: pa.float32(),
        T.BooleanType: pa.bool_(),
        T.BinaryType: pa.binary(),
        T.DateType: pa.date32(),
        T.TimestampType: pa.timestamp("us", tz="UTC"),
    }
    for spark_type, arrow in simple.items():
        if isinstance(data_type, spark_type):
            return arrow
    if isinstance(data_type, T.ArrayType):
        return pa.list_(arrow_type(data_type.elementType))
    if isinstance(data_type, T.MapType):
        return pa.map_(arrow_type(data_type.keyType), arrow_type(data_type.valueType))
    if isinstance(data_type, T.StructType):
        return pa.struct([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in data_type.fields])
    raise TypeError(f"no Arrow mapping for Spark type {data_type.simpleString()}")


def arrow_schema(schema: T.StructType) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in schema.fields])


def flat_ddl_arrow_schema(ddl: str) -> pa.Schema:
    """The Arrow schema of a flat DDL string (`name type, ...` of simple types, no nesting)."""
    fields = []
    for column in " ".join(ddl.split()).split(","):
        parts = column.split()
        if len(parts) != 2 or parts[1].lower() not in _DDL_TYPES:
            raise ValueError(f"not a flat DDL column of a simple type: {column.strip()!r}")
        fields.append(pa.field(parts[0], arrow_type(_DDL_TYPES[parts[1].lower()])))
    return pa.schema(fields)


def record_batches(rows: Iterable[dict[str, Any]], schema: pa.Schema, size: int) -> Iterator[pa.RecordBatch]:
    """`rows` (dicts keyed by column) as Arrow batches of at most `size` rows, the last one shorter; no
    batch when there are no rows. A UDF yields a batch as soon as it is full, so it never holds more."""
    if size < 1:
        raise ValueError("a batch needs room for at least one row")
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield pa.RecordBatch.from_pylist(batch, schema=schema)
            batch = []
    if batch:
        yield pa.RecordBatch.from_pylist(batch, schema=schema)
