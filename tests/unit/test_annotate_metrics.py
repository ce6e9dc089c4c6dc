"""Purity and the adjusted Rand index against hand-computed values."""

from __future__ import annotations

import pytest

from biomedica_spark.annotate.metrics import adjusted_rand_index, contingency, purity


def test_identical_partitions_score_one_whatever_the_names() -> None:
    truth = ["a", "a", "b", "b", "c"]
    assert purity(truth, [7, 7, 3, 3, 1]) == 1.0
    assert adjusted_rand_index(truth, [7, 7, 3, 3, 1]) == pytest.approx(1.0)


def test_known_values() -> None:
    truth = ["a", "a", "a", "b", "b", "b"]
    predicted = [0, 0, 1, 1, 1, 1]
    assert contingency(truth, predicted).tolist() == [[2, 1], [0, 3]]
    assert purity(truth, predicted) == pytest.approx(5 / 6)
    # Pairs: same-same 1 + 3 = 4; rows 3 + 3 = 6; cols 1 + 6 = 7; expected 6 * 7 / 15 = 2.8; max 6.5.
    assert adjusted_rand_index(truth, predicted) == pytest.approx((4 - 2.8) / (6.5 - 2.8))


def test_one_cluster_has_the_majority_share_and_zero_ari() -> None:
    truth = ["a"] * 6 + ["b"] * 4
    assert purity(truth, [0] * 10) == pytest.approx(0.6)
    assert adjusted_rand_index(truth, [0] * 10) == pytest.approx(0.0)


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="truth has 2 labels"):
        purity(["a", "b"], [0])
