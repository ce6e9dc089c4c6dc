"""Spark schema -> Arrow schema, for UDFs that emit Arrow batches (mapInArrow).

pyspark's own converter is private and changed signature between 3.5 and 4.x, so the few types the
tables use are mapped here. Timestamps are UTC instants, as Spark stores them.
"""

from __future__ import annotations

import pyarrow as pa
from pyspark.sql import types as T


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
