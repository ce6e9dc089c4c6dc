"""Shard planning arithmetic: bucket offsets and contiguous shard numbers."""

from __future__ import annotations

import random

from biomedica_spark.export.plan import bucket_offsets, shard_numbers


def test_bucket_offsets_are_prefix_sums_per_subset_in_bucket_order() -> None:
    buckets = [
        ("other", 5, 2, 20),
        ("commercial", 3, 4, 400),
        ("commercial", -7, 10, 1000),
        ("other", -1, 1, 5),
    ]
    offsets = {(o.subset, o.bucket): (o.first_index, o.bytes_before) for o in bucket_offsets(buckets)}
    assert offsets == {
        ("commercial", -7): (0, 0),
        ("commercial", 3): (10, 1000),
        ("other", -1): (0, 0),
        ("other", 5): (1, 5),
    }


def test_shard_numbers_are_contiguous_per_subset_and_follow_piece_order() -> None:
    pieces = [("a", 0, 0), ("a", 1, 0), ("a", 1, 1), ("a", 2, 1), ("b", 0, 0), ("a", 0, 0)]
    assert shard_numbers(pieces) == {
        ("a", 0, 0): 0,
        ("a", 1, 0): 1,
        ("a", 1, 1): 2,
        ("a", 2, 1): 3,
        ("b", 0, 0): 0,
    }


def test_cutting_by_count_and_bytes_respects_both_caps() -> None:
    """The job's cut rule (count block, byte block) on a random stream: no shard holds more than
    samples_per_shard samples, and none exceeds max_shard_bytes by more than its last sample."""
    rng = random.Random(5)
    sizes = [rng.randint(1, 300) for _ in range(2000)]
    per_shard, max_bytes = 37, 2500
    before, pieces = 0, []
    for index, size in enumerate(sizes):
        pieces.append(("s", index // per_shard, before // max_bytes))
        before += size
    numbers = shard_numbers(pieces)
    shards: dict[int, list[int]] = {}
    for piece, size in zip(pieces, sizes, strict=True):
        shards.setdefault(numbers[piece], []).append(size)
    assert sorted(shards) == list(range(len(shards)))
    for members in shards.values():
        assert len(members) <= per_shard
        assert sum(members[:-1]) < max_bytes


def test_shards_per_subset_counts_the_numbers_of_each_subset() -> None:
    from biomedica_spark.export.plan import shard_numbers, shards_per_subset

    numbers = shard_numbers([("a", 0, 0), ("a", 1, 0), ("a", 1, 1), ("b", 0, 0)])
    assert shards_per_subset(numbers) == {"a": 3, "b": 1}
    assert shards_per_subset({}) == {}
