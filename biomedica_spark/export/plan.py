"""Assigning every sample a global position and a contiguous shard number, from small driver-side tables.

The shuffled order is a seeded 64-bit hash of the key (ties broken by the key). Spark splits that order
into `2^BUCKET_BITS` hash-range buckets per subset (the top bits of the hash, so bucket order is hash
order) and counts each bucket; the driver turns the counts into offsets (`bucket_offsets`), so a row's
global index is its bucket's offset plus its rank inside the bucket. Only counts and byte sums cross to
the driver, never rows.

A shard is cut whenever `samples_per_shard` samples are reached or the estimated byte stream passes the
next multiple of `max_shard_bytes`; `shard_numbers` then numbers the resulting (count block, byte block)
pieces 0, 1, 2... per subset, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BUCKET_BITS = 10


@dataclass(frozen=True)
class BucketOffset:
    subset: str
    bucket: int
    first_index: int  # global index of the bucket's first row within its subset
    bytes_before: int  # estimated bytes of every earlier row of the subset


def bucket_offsets(buckets: Iterable[tuple[str, int, int, int]]) -> list[BucketOffset]:
    """`(subset, bucket, rows, estimated bytes)` per non-empty bucket -> where each bucket starts."""
    out: list[BucketOffset] = []
    running: dict[str, tuple[int, int]] = {}
    for subset, bucket, rows, size in sorted(buckets):
        index, nbytes = running.get(subset, (0, 0))
        out.append(BucketOffset(subset, bucket, index, nbytes))
        running[subset] = (index + rows, nbytes + size)
    return out


def shard_numbers(pieces: Iterable[tuple[str, int, int]]) -> dict[tuple[str, int, int], int]:
    """Distinct `(subset, count block, byte block)` pieces -> contiguous shard numbers per subset.

    Both blocks only grow along the shuffled order, so sorting the pieces is sorting the shards."""
    numbers: dict[tuple[str, int, int], int] = {}
    next_number: dict[str, int] = {}
    for piece in sorted(set(pieces)):
        subset = piece[0]
        numbers[piece] = next_number.get(subset, 0)
        next_number[subset] = numbers[piece] + 1
    return numbers


def shards_per_subset(numbers: dict[tuple[str, int, int], int]) -> dict[str, int]:
    """How many shards each subset was cut into, from `shard_numbers`' result."""
    counts: dict[str, int] = {}
    for (subset, _, _), number in numbers.items():
        counts[subset] = max(counts.get(subset, 0), number + 1)
    return counts
