"""Pigeonhole banding: k+1 interleaved blocks, and no pair within k bits can miss a shared bucket."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from biomedica_spark.dedup.banding import band_keys, block_masks, first_shared_block, to_signed

FULL = (1 << 64) - 1


@pytest.mark.parametrize("k", [0, 1, 4, 6, 8, 12, 63])
def test_masks_partition_the_64_bits(k: int) -> None:
    masks = [m & FULL for m in block_masks(k)]
    assert len(masks) == k + 1
    union = 0
    for mask in masks:
        assert union & mask == 0
        union |= mask
    assert union == FULL
    sizes = [bin(m).count("1") for m in masks]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("k", [-1, 64])
def test_threshold_out_of_range_is_refused(k: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.63"):
        block_masks(k)


def test_masks_are_signed_64_bit() -> None:
    for mask in block_masks(8):
        assert -(1 << 63) <= mask < (1 << 63)


@settings(max_examples=300, deadline=None)
@given(
    h=st.integers(min_value=0, max_value=FULL),
    k=st.integers(min_value=0, max_value=16),
    flips=st.lists(st.integers(min_value=0, max_value=63), max_size=16, unique=True),
)
def test_pairs_within_k_share_a_bucket(h: int, k: int, flips: list[int]) -> None:
    flips = flips[:k]
    other = h
    for bit in flips:
        other ^= 1 << bit
    masks = block_masks(k)
    keys = band_keys(np.array([to_signed(h), to_signed(other)]), masks)
    shared = np.flatnonzero(keys[0] == keys[1])
    assert len(shared) >= 1
    first = first_shared_block(np.array([to_signed(h ^ other)]), masks)[0]
    assert first == shared[0]


def test_first_shared_block_is_minus_one_when_every_block_differs() -> None:
    masks = block_masks(3)
    xor = np.array([to_signed(FULL)])
    assert first_shared_block(xor, masks)[0] == -1
