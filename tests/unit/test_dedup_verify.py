"""Bucket verification: thresholds, line-art strictness, old/new pairs, tiles, sparsification."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pytest

from biomedica_spark.dedup.banding import band_keys, to_signed
from biomedica_spark.dedup.verify import (
    NO_DISTANCE,
    Edges,
    MatchRule,
    Members,
    component_roots,
    hamming256_pairs,
    sparsify,
    verify_batch,
    verify_group,
)

RULE = MatchRule(phash64_max=8, phash256_max=40, phash256_max_line_art=16)


def flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def flip256(value: bytes, bits: list[int]) -> bytes:
    out = bytearray(value)
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def members(
    h64: list[int], h256: list[bytes], new: list[bool] | None = None, line_art: list[bool] | None = None
) -> Members:
    n = len(h64)
    return Members(
        h64=np.array([to_signed(h) for h in h64], dtype=np.int64),
        h256=np.frombuffer(b"".join(h256), dtype=np.uint8).reshape(n, 32),
        is_new=np.array(new if new is not None else [True] * n),
        line_art=np.array(line_art if line_art is not None else [False] * n),
    )


def pairs(edges: Edges) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in zip(edges.left.tolist(), edges.right.tolist(), strict=True)}


def test_match_rule_validates() -> None:
    with pytest.raises(ValueError):
        MatchRule(phash64_max=8, phash256_max=10, phash256_max_line_art=20)
    with pytest.raises(ValueError):
        MatchRule(phash64_max=64, phash256_max=10, phash256_max_line_art=5)


def test_hamming256_pairs() -> None:
    a = np.zeros((2, 32), dtype=np.uint8)
    b = np.frombuffer(flip256(bytes(32), [0, 9, 255]) + bytes(32), dtype=np.uint8).reshape(2, 32)
    assert hamming256_pairs(a, b).tolist() == [3, 0]


def verified(group: Members, rule: MatchRule) -> set[tuple[int, int]]:
    """All verified pairs of a group, as if it were a bucket of every band."""
    return set().union(*(pairs(verify_group(group, band, rule)) for band in range(len(rule.masks))))


def test_thresholds_on_both_hashes_and_stricter_for_line_art() -> None:
    base64, base256 = 0x0F0F_0F0F_0F0F_0F0F, bytes(range(32))
    group = members(
        [
            base64,
            flip(base64, [1, 2, 3]),
            flip(base64, list(range(1, 10))),
            flip(base64, [5]),
            flip(base64, [6]),
        ],
        [base256, flip256(base256, list(range(20))), base256, flip256(base256, list(range(41))), base256],
    )
    # pHash-64 bits / pHash-256 bits: 0-1 3/20, 0-2 9/0 (too far on 64), 0-3 1/41 (too far on 256), 0-4 1/0,
    # 1-2 6/20, 1-3 4/21, 1-4 4/20, 2-3 8/41, 2-4 8/0, 3-4 2/41.
    assert verified(group, RULE) == {(0, 1), (0, 4), (1, 2), (1, 3), (1, 4), (2, 4)}
    strict = members(
        [base64, flip(base64, [1, 2, 3]), base64],
        [base256, flip256(base256, list(range(20))), flip256(base256, list(range(16)))],
        line_art=[True, False, False],
    )
    assert verified(strict, RULE) == {(0, 2), (1, 2)}  # 0-1: 20 bits > 16 when either side is line art


def test_pairs_of_two_old_images_are_not_verified_again() -> None:
    h256 = bytes(32)
    group = members([1, 1 ^ 2, 1 ^ 4], [h256] * 3, new=[False, False, True])
    assert pairs(verify_group(group, band=0, rule=MatchRule(8, 40, 40))) == {(0, 2), (1, 2)}


def banded_tiled_pairs(
    group: Members, rule: MatchRule, tile_size: int, seed: int, max_cells: int = 1 << 22
) -> list[tuple[int, int]]:
    """What the Spark job does, in plain Python: buckets per band, hash tiles, every pair of tiles."""
    rng = np.random.default_rng(seed)
    keys = band_keys(group.h64, rule.masks)
    found: list[tuple[int, int]] = []
    for band in range(len(rule.masks)):
        for key in np.unique(keys[:, band]):
            index = np.flatnonzero(keys[:, band] == key)
            if len(index) < 2:
                continue
            tiles = math.ceil(len(index) / tile_size)
            tile_of = rng.integers(0, tiles, size=len(index))
            for ti, tj in itertools.combinations_with_replacement(range(tiles), 2):
                chosen = index[(tile_of == ti) | (tile_of == tj)]
                sub = Members(
                    group.h64[chosen], group.h256[chosen], group.is_new[chosen], group.line_art[chosen]
                )
                side = None if ti == tj else tile_of[np.isin(index, chosen)] == ti
                edges = verify_group(sub, band, rule, side, max_cells=max_cells)
                found += [
                    tuple(sorted((chosen[a], chosen[b])))
                    for a, b in zip(edges.left, edges.right, strict=True)
                ]
    return found


@pytest.mark.parametrize(
    ("tile_size", "seed", "max_cells"), [(1000, 0, 1 << 22), (7, 1, 1 << 22), (3, 2, 1 << 22), (1000, 3, 5)]
)
def test_banding_and_tiling_find_every_verified_pair_exactly_once(
    tile_size: int, seed: int, max_cells: int
) -> None:
    rng = np.random.default_rng(seed)
    bases = [int(x) for x in rng.integers(0, 2**63, size=6)]
    h64, h256 = [], []
    for base in bases:  # six families of near-duplicates plus a hot bucket of identical-ish hashes
        family256 = rng.bytes(32)
        for _ in range(8):
            h64.append(
                flip(base, [int(b) for b in rng.choice(64, size=int(rng.integers(0, 10)), replace=False)])
            )
            h256.append(
                flip256(
                    family256, [int(b) for b in rng.choice(256, size=int(rng.integers(0, 30)), replace=False)]
                )
            )
    group = members(h64, h256, new=[bool(x) for x in rng.random(len(h64)) < 0.7])
    rule = MatchRule(phash64_max=6, phash256_max=24, phash256_max_line_art=24)
    found = banded_tiled_pairs(group, rule, tile_size, seed, max_cells)
    assert len(found) == len(set(found)), "a pair was verified in two groups"
    brute = {
        (i, j)
        for i, j in itertools.combinations(range(len(h64)), 2)
        if (group.is_new[i] or group.is_new[j])
        and bin(h64[i] ^ h64[j]).count("1") <= 6
        and hamming256_pairs(group.h256[[i]], group.h256[[j]])[0] <= 24
    }
    assert set(found) == brute
    assert brute, "the fixture must contain matches"


def test_cross_tile_group_only_checks_pairs_across_the_tiles() -> None:
    group = members([5, 5, 5, 5], [bytes(32)] * 4)
    edges = verify_group(group, band=0, rule=RULE, side=np.array([True, True, False, False]))
    assert pairs(edges) == {(0, 2), (0, 3), (1, 2), (1, 3)}


def test_sparsify_keeps_components_and_nearest_distances() -> None:
    n = 40
    rng = np.random.default_rng(3)
    all_pairs = [(i, j) for i, j in itertools.combinations(range(n), 2) if (i < 25) == (j < 25)]
    left = np.array([p[0] for p in all_pairs])
    right = np.array([p[1] for p in all_pairs])
    d64 = rng.integers(0, 9, size=len(all_pairs))
    d256 = rng.integers(0, 30, size=len(all_pairs))
    dense = Edges(left, right, d64, d256)
    sparse = sparsify(n, dense)
    assert len(sparse) <= 2 * n
    np.testing.assert_array_equal(
        component_roots(n, sparse.left, sparse.right), component_roots(n, left, right)
    )
    for node in range(n):
        mine = (dense.left == node) | (dense.right == node)
        best = min(zip(dense.d64[mine], dense.d256[mine], strict=True))
        kept = ((sparse.left == node) | (sparse.right == node)) & (sparse.d64 != NO_DISTANCE)
        assert min(zip(sparse.d64[kept], sparse.d256[kept], strict=True)) == best


def test_sparsify_leaves_small_edge_sets_alone() -> None:
    edges = Edges(np.array([0, 1]), np.array([1, 2]), np.array([1, 2]), np.array([3, 4]))
    assert sparsify(3, edges) is edges


def test_component_roots_on_a_long_chain_and_isolated_nodes() -> None:
    n = 200
    left, right = np.arange(n - 2), np.arange(1, n - 1)
    roots = component_roots(n, right[::-1].copy(), left[::-1].copy())
    assert roots[: n - 1].tolist() == [0] * (n - 1)
    assert roots[n - 1] == n - 1


def test_verify_batch_arrow_round_trip() -> None:
    member = pa.struct(
        [
            ("sha", pa.string()),
            ("h64", pa.int64()),
            ("h256", pa.binary()),
            ("is_new", pa.bool_()),
            ("line_art", pa.bool_()),
            ("tile", pa.int32()),
        ]
    )
    h = bytes(32)
    groups = pa.array(
        [
            [
                {"sha": "a", "h64": 1, "h256": h, "is_new": True, "line_art": False, "tile": 0},
                {
                    "sha": "b",
                    "h64": 3,
                    "h256": flip256(h, [0]),
                    "is_new": False,
                    "line_art": False,
                    "tile": 0,
                },
            ],
            [
                {"sha": "c", "h64": 1, "h256": h, "is_new": False, "line_art": False, "tile": 0},
                {"sha": "d", "h64": 1, "h256": h, "is_new": False, "line_art": False, "tile": 1},
            ],
        ],
        type=pa.list_(member),
    )
    batch = pa.RecordBatch.from_arrays(
        [pa.array([0, 0], pa.int32()), pa.array([0, 0], pa.int32()), pa.array([0, 1], pa.int32()), groups],
        names=["band", "tile_i", "tile_j", "members"],
    )
    out = verify_batch(batch, RULE).to_pylist()
    assert out == [{"a": "a", "b": "b", "d64": 1, "d256": 1}]  # the all-old group is skipped
