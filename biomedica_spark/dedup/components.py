"""Connected components of an edge list with the DataFrame API: alternating large-star / small-star.

Kiveris et al., "Connected Components in MapReduce and Beyond" (SoCC 2014): each round rewires every
node's neighbourhood towards its smallest neighbour; the edge set stops changing exactly when every
component is a star around its smallest node, after O(log² n) rounds (a handful in practice, chains
included). No RDDs and no GraphFrames: every step is a join or an aggregation, so it runs on Spark
Connect too. `materialize` cuts the lineage between rounds (the job writes each round to its staging
folder).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

Materialize = Callable[["DataFrame", str], "DataFrame"]


class ComponentsDidNotConverge(RuntimeError):
    pass


def connected_components(edges: DataFrame, max_rounds: int, materialize: Materialize) -> DataFrame:
    """`edges(src, dst)` (any orientation, duplicates and self-loops allowed; ids comparable, e.g.
    strings) -> `(node, component)` for every node that appears in an edge; `component` is the smallest
    node of its component. Raises ComponentsDidNotConverge after `max_rounds` rounds.

    `materialize(df, name)` must store `df` and return a DataFrame reading it back: each round reads its
    input several times, so without cutting the lineage the plan would grow exponentially."""
    from pyspark.sql import functions as F

    current = materialize(_oriented(edges.select(F.col("src"), F.col("dst"))), "round-0")
    for round_number in range(1, max_rounds + 1):
        rewired = materialize(_small_star(_large_star(current)), f"round-{round_number}")
        if _same_edges(rewired, current):
            # A star around the minimum: every non-root node has exactly one edge, to its root.
            return rewired.select(F.col("src").alias("node"), F.col("dst").alias("component")).unionByName(
                rewired.select(F.col("dst").alias("node"), F.col("dst").alias("component")).distinct()
            )
        current = rewired
    raise ComponentsDidNotConverge(
        f"connected components did not converge in {max_rounds} rounds ({current.count()} edges left); "
        "raise dedup.components_max_rounds"
    )


def _same_edges(left: DataFrame, right: DataFrame) -> bool:
    """Both hold distinct edges: equal when no edge is on one side only (one job)."""
    from pyspark.sql import functions as F

    both = left.withColumn("in_left", F.lit(True)).join(
        right.withColumn("in_right", F.lit(True)), ["src", "dst"], "full_outer"
    )
    return both.where(F.col("in_left").isNull() | F.col("in_right").isNull()).isEmpty()


def _oriented(edges: DataFrame) -> DataFrame:
    """Distinct edges as (larger, smaller), self-loops dropped."""
    from pyspark.sql import functions as F

    return (
        edges.where(F.col("src") != F.col("dst"))
        .select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst"))
        .distinct()
    )


def _large_star(edges: DataFrame) -> DataFrame:
    """Every node u links its larger neighbours to m(u) = min(u, neighbours of u)."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    smallest = both.groupBy("src").agg(F.min("dst").alias("m"))
    return (
        both.join(smallest, "src")
        .where(F.col("dst") > F.col("src"))
        .select(F.col("dst").alias("src"), F.least(F.col("src"), F.col("m")).alias("dst"))
        .distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Every node u links itself and its smaller neighbours to the smallest of them."""
    from pyspark.sql import functions as F

    oriented = _oriented(edges)  # (u, v) with v < u
    smallest = oriented.groupBy("src").agg(F.min("dst").alias("m"))
    smaller = (
        oriented.join(smallest, "src")
        .where(F.col("dst") != F.col("m"))
        .select(F.col("dst").alias("src"), F.col("m").alias("dst"))
    )
    return smaller.unionByName(smallest.select("src", F.col("m").alias("dst"))).distinct()
