"""Deduplicating wide rows without moving them picks the same row per key as the plain ranking."""

from __future__ import annotations

import itertools

import pytest

from biomedica_spark.lake.delta_io import dedup_by_key, dedup_wide_by_key

pytestmark = pytest.mark.spark

DDL = "sha string, source string, member string, payload binary"


def _rows() -> list[tuple]:
    """Every key seen from several (source, member) pairs, in shuffled order; a null key and a null
    member too, since keys and order columns are compared null-safe."""
    rows = []
    for sha, source, member in itertools.product(["a", "b", None], ["s2", "s1"], ["m2", "m1", None]):
        rows.append((sha, source, member, f"{sha}|{source}|{member}".encode() * 1000))
    rows.append(("c", "s9", "m9", b"only one"))
    return rows[::-1]


def test_the_wide_dedup_keeps_exactly_the_rows_the_ranking_keeps(spark) -> None:  # type: ignore[no-untyped-def]
    df = spark.createDataFrame(_rows(), DDL).repartition(3)
    order = ["source", "member"]
    wide = sorted((tuple(r) for r in dedup_wide_by_key(df, ["sha"], order).collect()), key=repr)
    ranked = sorted((tuple(r) for r in dedup_by_key(df, ["sha"], order).collect()), key=repr)
    assert wide == ranked
    assert len({r[0] for r in wide}) == len(wide) == 4  # one row for each of a, b, c and null
    # SQL sorts nulls first: the winner of key "a" is source s1 with the null member.
    assert ("a", "s1", None) in {r[:3] for r in wide}
