"""Verification of candidate pairs inside one bucket (or one pair of tiles of a hot bucket), vectorised.

A pair is a near-duplicate when its pHash-64 distance is at most k (the banding threshold) and its
pHash-256 distance is at most the confirmation threshold; the confirmation is stricter when either image
looks like a plot or line art (low `info_score`: a few percent of ink on white), because such figures
drawn on one template share most low-frequency structure and collide under 64 bits.

Inside a group every pair is checked at once with numpy (XOR + popcount over an n×m matrix); only pairs
in the group's own band (`banding.first_shared_block`) count, so a pair is verified in exactly one group.
A group of near-identical images (a journal logo, a reused panel) can verify n²/2 pairs: only a
connectivity-preserving subset leaves the task (`sparsify`), at most about 2n edges per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from biomedica_spark.dedup.banding import block_masks, first_shared_block
from biomedica_spark.images.hashing import hamming_matrix

if TYPE_CHECKING:
    import pyarrow as pa

PHASH256_BYTES = 32
NO_DISTANCE = -1  # an edge that keeps connectivity but is not itself a verified pair

# Arrow layout of one group row (built in Spark) and of the edges it yields.
GROUP_DDL = (
    "band int, tile_i int, tile_j int, "
    "members array<struct<sha:string,h64:bigint,h256:binary,is_new:boolean,line_art:boolean,tile:int>>"
)
EDGE_DDL = "a string, b string, d64 int, d256 int"


@dataclass(frozen=True)
class MatchRule:
    phash64_max: int  # k: banding threshold and first test
    phash256_max: int  # confirmation for ordinary images
    phash256_max_line_art: int  # stricter confirmation when either image is plot/line-art-like

    def __post_init__(self) -> None:
        if not 0 <= self.phash256_max_line_art <= self.phash256_max <= 256:
            raise ValueError(f"need 0 <= phash256_max_line_art <= phash256_max <= 256, got {self}")
        block_masks(self.phash64_max)  # validates k

    @property
    def masks(self) -> tuple[int, ...]:
        return block_masks(self.phash64_max)

    def accepts(self, d64: np.ndarray, d256: np.ndarray, line_art: np.ndarray) -> np.ndarray:
        """Elementwise: is a pair with these distances (and either side line art) a near-duplicate?"""
        limit = np.where(line_art, self.phash256_max_line_art, self.phash256_max)
        return (np.asarray(d64) <= self.phash64_max) & (np.asarray(d256) <= limit)


@dataclass(frozen=True)
class Members:
    """The images of one group, aligned arrays."""

    h64: np.ndarray  # (n,) int64
    h256: np.ndarray  # (n, 32) uint8
    is_new: np.ndarray  # (n,) bool: pairs of two old images were verified by an earlier run
    line_art: np.ndarray  # (n,) bool

    def __len__(self) -> int:
        return len(self.h64)


@dataclass(frozen=True)
class Edges:
    """Index pairs into a group's members with their distances (NO_DISTANCE on connectivity-only edges)."""

    left: np.ndarray
    right: np.ndarray
    d64: np.ndarray
    d256: np.ndarray

    def __len__(self) -> int:
        return len(self.left)


def hamming256_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distances of two (n, 32) uint8 arrays of pHash-256 bytes."""
    return np.unpackbits(np.bitwise_xor(a, b), axis=1).sum(axis=1, dtype=np.int64)


def verify_group(
    members: Members, band: int, rule: MatchRule, side: np.ndarray | None = None, max_cells: int = 1 << 22
) -> Edges:
    """Every verified pair of one group, once.

    `side` is None for a whole bucket or a tile against itself (pairs i < j); for two different tiles it
    marks the members of the first tile, and only pairs across the two tiles are checked. The distance
    matrix is computed `max_cells` entries at a time, so memory stays bounded whatever the group size.
    """
    diagonal = side is None
    if side is None:
        left_index = right_index = np.arange(len(members))
    else:
        left_index, right_index = np.flatnonzero(side), np.flatnonzero(~side)
    parts: list[Edges] = []
    chunk = max(1, max_cells // max(1, len(right_index)))
    for start in range(0, len(left_index), chunk):
        rows = left_index[start : start + chunk]
        # On the diagonal only columns from this chunk on can pair with a later index.
        cols = right_index[start:] if diagonal else right_index
        d64 = _hamming64(members.h64[rows], members.h64[cols])
        r, c = np.nonzero(d64 <= rule.phash64_max)
        left, right, pair_d64 = rows[r], cols[c], d64[r, c].astype(np.int64)
        keep = (members.is_new[left] | members.is_new[right]) & (left < right if diagonal else True)
        keep &= first_shared_block(members.h64[left] ^ members.h64[right], rule.masks) == band
        left, right, pair_d64 = left[keep], right[keep], pair_d64[keep]
        pair_d256 = hamming256_pairs(members.h256[left], members.h256[right])
        ok = rule.accepts(pair_d64, pair_d256, members.line_art[left] | members.line_art[right])
        parts.append(Edges(left[ok], right[ok], pair_d64[ok], pair_d256[ok]))
    if not parts:
        return _no_edges()
    return Edges(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("left", "right", "d64", "d256")))


def _hamming64(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # The hot loop: with numpy >= 2 skip hamming_matrix's words axis (about twice as fast).
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(a.view(np.uint64)[:, np.newaxis] ^ b.view(np.uint64)[np.newaxis, :])
    return hamming_matrix(a, b)


def sparsify(size: int, edges: Edges, max_edges_per_member: int = 2) -> Edges:
    """Keep what clustering needs when a group verified many pairs: each member's nearest verified
    neighbour (so its reported distance stays exact) plus a star from every matched member to the
    smallest member of its component within the group (so connectivity stays exact)."""
    if len(edges) <= max_edges_per_member * size:
        return edges
    nodes = np.concatenate([edges.left, edges.right])
    others = np.concatenate([edges.right, edges.left])
    d64 = np.concatenate([edges.d64, edges.d64])
    d256 = np.concatenate([edges.d256, edges.d256])
    order = np.lexsort((others, d256, d64, nodes))
    first = order[np.r_[True, nodes[order][1:] != nodes[order][:-1]]]
    roots = component_roots(size, edges.left, edges.right)
    matched = np.unique(nodes)
    star = matched[roots[matched] != matched]
    no_distance = np.full(len(star), NO_DISTANCE, dtype=np.int64)
    return Edges(
        np.concatenate([nodes[first], star]),
        np.concatenate([others[first], roots[star]]),
        np.concatenate([d64[first], no_distance]),
        np.concatenate([d256[first], no_distance]),
    )


def component_roots(size: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For each of `size` nodes, the smallest node of its connected component (min-label propagation
    with pointer jumping, vectorised)."""
    labels = np.arange(size)
    while True:
        updated = labels.copy()
        np.minimum.at(updated, left, labels[right])
        np.minimum.at(updated, right, labels[left])
        while True:
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def _no_edges() -> Edges:
    empty = np.zeros(0, dtype=np.int64)
    return Edges(empty, empty, empty, empty)


def verify_batch(batch: pa.RecordBatch, rule: MatchRule) -> pa.RecordBatch:
    """One Arrow batch of group rows (GROUP_DDL) -> the edges they yield (EDGE_DDL), image sha256 pairs."""
    import pyarrow as pa

    lefts: list[pa.Array] = []
    rights: list[pa.Array] = []
    d64s: list[np.ndarray] = []
    d256s: list[np.ndarray] = []
    bands = batch.column("band").to_numpy(zero_copy_only=False)
    tiles_i = batch.column("tile_i").to_numpy(zero_copy_only=False)
    tiles_j = batch.column("tile_j").to_numpy(zero_copy_only=False)
    groups = batch.column("members")
    for row in range(batch.num_rows):
        group = groups[row].values  # StructArray of this group's members
        if not any(group.field("is_new").to_pylist()):
            continue
        members = _members(group)
        side = None
        if tiles_i[row] != tiles_j[row]:
            side = group.field("tile").to_numpy(zero_copy_only=False) == tiles_i[row]
        edges = sparsify(len(members), verify_group(members, int(bands[row]), rule, side))
        if len(edges):
            shas = group.field("sha")
            lefts.append(shas.take(pa.array(edges.left)))
            rights.append(shas.take(pa.array(edges.right)))
            d64s.append(edges.d64)
            d256s.append(edges.d256)
    return _edge_batch(lefts, rights, d64s, d256s)


def _members(group: pa.StructArray) -> Members:
    return Members(
        h64=group.field("h64").to_numpy(zero_copy_only=False).astype(np.int64),
        h256=_fixed_width_bytes(group.field("h256"), PHASH256_BYTES),
        is_new=group.field("is_new").to_numpy(zero_copy_only=False).astype(bool),
        line_art=group.field("line_art").to_numpy(zero_copy_only=False).astype(bool),
    )


def _fixed_width_bytes(values: pa.Array, width: int) -> np.ndarray:
    """A binary Arrow array whose values all have `width` bytes, as an (n, width) uint8 view."""
    import pyarrow as pa

    _validity, offsets_buffer, data_buffer = values.buffers()
    offset_type = np.int64 if pa.types.is_large_binary(values.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[
        values.offset : values.offset + len(values) + 1
    ]
    if values.null_count or not (np.diff(offsets) == width).all():
        raise ValueError(f"every member of a verification group needs a {width}-byte pHash-256")
    return np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, width)


def _edge_batch(
    lefts: list[pa.Array], rights: list[pa.Array], d64s: list[np.ndarray], d256s: list[np.ndarray]
) -> pa.RecordBatch:
    import pyarrow as pa

    def distances(parts: list[np.ndarray]) -> pa.Array:
        values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return pa.array(values.astype(np.int32), mask=values == NO_DISTANCE, type=pa.int32())

    def shas(parts: list[pa.Array]) -> pa.Array:
        return pa.concat_arrays(parts) if parts else pa.array([], type=pa.string())

    return pa.RecordBatch.from_arrays(
        [shas(lefts), shas(rights), distances(d64s), distances(d256s)], names=["a", "b", "d64", "d256"]
    )
