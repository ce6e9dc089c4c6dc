"""Connected components with large-star/small-star on the DataFrame API, against union-find."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from biomedica_spark.dedup.components import ComponentsDidNotConverge, connected_components

pytestmark = pytest.mark.spark


@pytest.fixture()
def scratch(spark, tmp_path):  # type: ignore[no-untyped-def]
    from biomedica_spark.dedup.job import Scratch

    return Scratch(spark, str(tmp_path / "scratch"))


def union_find(edges: list[tuple[str, str]]) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in parent}


def graphs() -> list[tuple[str, str]]:
    rng = random.Random(3)
    edges: list[tuple[str, str]] = []
    # A long chain whose labels are not in chain order (the worst case for label propagation).
    chain = [f"c{n:03d}" for n in rng.sample(range(300), 40)]
    edges += list(pairwise(chain))
    # A star whose centre is not its smallest node, plus duplicate and reversed edges.
    edges += [("s9", f"s{n}") for n in range(9)] + [("s3", "s9"), ("s9", "s3")]
    # Two cliques joined by one bridge, a self-loop, and a random sparse graph.
    clique_a = [f"qa{n}" for n in range(6)]
    clique_b = [f"qb{n}" for n in range(6)]
    edges += [(a, b) for a in clique_a for b in clique_a if a < b] + [
        (a, b) for a in clique_b for b in clique_b if a < b
    ]
    edges += [("qa5", "qb0"), ("loop", "loop"), ("loop", "loop2")]
    nodes = [f"r{n:02d}" for n in range(60)]
    edges += [(rng.choice(nodes), rng.choice(nodes)) for _ in range(40)]
    return edges


def test_components_match_union_find_on_chains_stars_cliques_and_random_graphs(spark, scratch) -> None:  # type: ignore[no-untyped-def]
    edges = graphs()
    df = spark.createDataFrame(edges, "src string, dst string")
    result = {
        r["node"]: r["component"]
        for r in connected_components(df, max_rounds=30, materialize=scratch).collect()
    }
    expected = union_find(edges)
    assert result == expected
    assert len(set(result[n] for n in result if n.startswith("c"))) == 1
    assert result["s9"] == "s0" and result["qb5"] == "qa0"


def test_empty_edge_list_gives_no_components(spark, scratch) -> None:  # type: ignore[no-untyped-def]
    assert connected_components(spark.createDataFrame([], "src string, dst string"), 3, scratch).count() == 0


def test_round_bound_fails_clearly(spark, scratch) -> None:  # type: ignore[no-untyped-def]
    chain = [f"n{i:03d}" for i in random.Random(1).sample(range(500), 200)]
    df = spark.createDataFrame(list(pairwise(chain)), "src string, dst string")
    with pytest.raises(ComponentsDidNotConverge, match="did not converge in 1 rounds"):
        connected_components(df, max_rounds=1, materialize=scratch)


def test_tiled_buckets_give_the_same_clusters_and_distances_as_brute_force(spark) -> None:  # type: ignore[no-untyped-def]
    """The Spark banding + tiling path with tiny tiles: every pair of tiles is compared."""
    from dataclasses import replace

    import numpy as np

    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.banding import to_signed
    from biomedica_spark.dedup.job import bucket_edges, settings_from_config
    from biomedica_spark.dedup.verify import component_roots, hamming256_pairs

    rng = np.random.default_rng(9)
    rows = []
    for family in range(3):
        base, base256 = int(rng.integers(0, 2**63)), rng.integers(0, 256, 32, dtype=np.uint8)
        for member in range(10):
            bits = rng.choice(64, size=int(rng.integers(0, 5)), replace=False)
            flipped = base256.copy()
            flipped[rng.choice(32, size=int(rng.integers(0, 4)), replace=False)] ^= 1
            rows.append(
                (f"f{family}-{member:02d}", to_signed(base ^ sum(1 << int(b) for b in bits)), bytes(flipped))
            )
    rows += [(f"r{i:02d}", to_signed(int(rng.integers(0, 2**63))), rng.bytes(32)) for i in range(20)]
    hashes = spark.createDataFrame(
        [(s, h, p, True, False) for s, h, p in rows],
        "sha string, h64 bigint, h256 binary, is_new boolean, line_art boolean",
    )
    settings = settings_from_config(load_config())
    names = [r[0] for r in rows]
    index = {n: i for i, n in enumerate(names)}

    def clusters_and_nearest(tile_size: int) -> tuple[list[int], dict[str, int]]:
        edges = bucket_edges(hashes, replace(settings, tile_size=tile_size)).collect()
        left = np.array([index[e["a"]] for e in edges], dtype=np.int64)
        right = np.array([index[e["b"]] for e in edges], dtype=np.int64)
        nearest: dict[str, int] = {}
        for e in edges:
            if e["d64"] is not None:
                for n in (e["a"], e["b"]):
                    nearest[n] = min(nearest.get(n, 64), e["d64"])
        return component_roots(len(names), left, right).tolist(), nearest

    h64 = np.array([r[1] for r in rows], dtype=np.int64)
    h256 = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint8).reshape(-1, 32)
    i, j = np.triu_indices(len(rows), k=1)
    d64 = np.array(
        [bin((int(a) ^ int(b)) & (2**64 - 1)).count("1") for a, b in zip(h64[i], h64[j], strict=True)]
    )
    ok = settings.rule.accepts(d64, hamming256_pairs(h256[i], h256[j]), np.zeros(len(i), dtype=bool))
    expected_roots = component_roots(len(rows), i[ok], j[ok]).tolist()
    expected_nearest: dict[str, int] = {}
    for a, b, d in zip(i[ok], j[ok], d64[ok], strict=True):
        for n in (names[a], names[b]):
            expected_nearest[n] = min(expected_nearest.get(n, 64), int(d))

    assert clusters_and_nearest(3) == (expected_roots, expected_nearest)
    assert clusters_and_nearest(10_000) == (expected_roots, expected_nearest)
    assert len(set(expected_roots)) == 3 + 20
