"""Pair keys: deterministic, unique per figure, no dots."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from biomedica_spark.dedup.pair_keys import pair_key


def test_pmc_article_keys_stay_readable() -> None:
    assert pair_key("PMC1234567", 3) == "PMC1234567_3"


def test_other_article_keys_are_hashed_without_dots() -> None:
    key = pair_key("10.1371/journal.pone.0046493", 1)
    assert "." not in key and "/" not in key
    assert key.startswith("k") and key.endswith("_1")
    assert key == pair_key("10.1371/journal.pone.0046493", 1)
    assert key != pair_key("10.1371/journal-pone-0046493", 1)


@given(article_key=st.text(min_size=1), ordinal=st.integers(min_value=0, max_value=10_000))
def test_keys_never_contain_dots_and_differ_by_ordinal(article_key: str, ordinal: int) -> None:
    key = pair_key(article_key, ordinal)
    assert "." not in key
    assert key != pair_key(article_key, ordinal + 1)
