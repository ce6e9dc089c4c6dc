"""Pigeonhole banding of pHash-64: candidate buckets that cannot miss a pair within Hamming distance k.

Split the 64 bit positions into k+1 disjoint blocks. Two hashes that differ in at most k bits leave at
least one block untouched, so they share the bucket (block index, hash AND block mask) of that block.
Blocks interleave bit positions (position p goes to block p mod (k+1)) rather than taking contiguous
runs: pHash bits come in DCT row order, and neighbouring low-frequency coefficients are correlated on
plots and line art, so contiguous blocks would make fuller buckets.

A pair sharing several blocks meets in several buckets; it is verified only in the bucket of the first
block it shares (`first_shared_block`), so every candidate pair is checked exactly once.
"""

from __future__ import annotations

import numpy as np

HASH_BITS = 64


def block_masks(max_distance: int) -> tuple[int, ...]:
    """The k+1 block masks for threshold k, as signed 64-bit integers (Spark's LongType)."""
    if not 0 <= max_distance < HASH_BITS:
        raise ValueError(f"pHash-64 threshold must be in 0..63, got {max_distance}")
    blocks = max_distance + 1
    masks = []
    for block in range(blocks):
        unsigned = sum(1 << position for position in range(block, HASH_BITS, blocks))
        masks.append(to_signed(unsigned))
    return tuple(masks)


def to_signed(unsigned: int) -> int:
    return unsigned - (1 << 64) if unsigned >= (1 << 63) else unsigned


def band_keys(hashes: np.ndarray, masks: tuple[int, ...]) -> np.ndarray:
    """Bucket keys, shape (n, len(masks)): column b holds each hash AND mask b (signed int64)."""
    values = np.asarray(hashes, dtype=np.int64)
    return values[:, np.newaxis] & np.asarray(masks, dtype=np.int64)[np.newaxis, :]


def first_shared_block(xor: np.ndarray, masks: tuple[int, ...]) -> np.ndarray:
    """For each XOR of two hashes, the first block on which they agree, or -1 when they agree on none."""
    values = np.asarray(xor, dtype=np.int64)
    shared = (values[:, np.newaxis] & np.asarray(masks, dtype=np.int64)[np.newaxis, :]) == 0
    return np.where(shared.any(axis=1), shared.argmax(axis=1), -1)
