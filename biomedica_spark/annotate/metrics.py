"""Clustering quality against known types: purity and the adjusted Rand index (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def contingency(truth: Sequence[object], predicted: Sequence[object]) -> np.ndarray:
    """Counts of (true class, predicted cluster) pairs: rows are classes, columns clusters."""
    if len(truth) != len(predicted):
        raise ValueError(f"truth has {len(truth)} labels, predicted {len(predicted)}")
    _, class_index = np.unique(np.asarray(truth, dtype=object).astype(str), return_inverse=True)
    _, cluster_index = np.unique(np.asarray(predicted, dtype=object).astype(str), return_inverse=True)
    table = np.zeros((class_index.max(initial=-1) + 1, cluster_index.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (class_index, cluster_index), 1)
    return table


def purity(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Share of items whose cluster's majority class is their own class."""
    table = contingency(truth, predicted)
    return float(table.max(axis=0).sum() / table.sum()) if table.size else 0.0


def adjusted_rand_index(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Hubert and Arabie's ARI: 1 for identical partitions, about 0 for independent ones."""
    table = contingency(truth, predicted)
    n = int(table.sum())
    if n < 2:
        return 1.0

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    both = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2)
    maximum = (rows + cols) / 2
    if maximum == expected:  # one cluster and one class, or every item alone in both
        return 1.0
    return (both - expected) / (maximum - expected)
