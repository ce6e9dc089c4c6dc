"""Canonical pair preference: not retracted, most permissive subset, earliest date, article key."""

from __future__ import annotations

import datetime as dt

from biomedica_spark.dedup.canonical import preference_key, preference_order


def pair(
    key: str, subset: str | None, date: dt.date | None, retracted: bool | None = False, ordinal: int = 1
):  # type: ignore[no-untyped-def]
    return {
        "article_key": key,
        "license_subset": subset,
        "pub_date": date,
        "is_retracted": retracted,
        "ordinal": ordinal,
    }


def canonical(*pairs):  # type: ignore[no-untyped-def]
    return min(pairs, key=preference_key)["article_key"]


def test_commercial_copy_beats_an_earlier_noncommercial_one() -> None:
    assert (
        canonical(
            pair("PMC1", "noncommercial", dt.date(2001, 1, 1)),
            pair("PMC2", "commercial", dt.date(2020, 1, 1)),
        )
        == "PMC2"
    )


def test_subset_order_then_unknown_last() -> None:
    assert (
        canonical(pair("PMC1", None, dt.date(2000, 1, 1)), pair("PMC2", "other", dt.date(2020, 1, 1)))
        == "PMC2"
    )
    assert (
        canonical(
            pair("PMC1", "other", dt.date(2000, 1, 1)), pair("PMC2", "noncommercial", dt.date(2020, 1, 1))
        )
        == "PMC2"
    )


def test_retracted_loses_even_with_the_best_licence() -> None:
    assert (
        canonical(
            pair("PMC1", "commercial", dt.date(2000, 1, 1), retracted=True), pair("PMC2", "other", None)
        )
        == "PMC2"
    )


def test_earliest_publication_then_article_key_then_ordinal() -> None:
    assert (
        canonical(
            pair("PMC1", "commercial", dt.date(2010, 1, 1)), pair("PMC2", "commercial", dt.date(2009, 1, 1))
        )
        == "PMC2"
    )
    assert canonical(pair("PMC2", "commercial", None), pair("PMC1", "commercial", None)) == "PMC1"
    assert (
        canonical(pair("PMC9", "commercial", None), pair("PMC1", "commercial", dt.date(2030, 1, 1))) == "PMC1"
    )
    first = min(
        pair("PMC1", "commercial", None, ordinal=3),
        pair("PMC1", "commercial", None, ordinal=2),
        key=preference_key,
    )
    assert first["ordinal"] == 2


def test_sql_order_names_the_same_terms() -> None:
    terms = preference_order()
    assert terms[0].startswith("coalesce(is_retracted")
    assert "WHEN 'commercial' THEN 0" in terms[1] and "WHEN 'noncommercial' THEN 1" in terms[1]
    assert all(t.endswith("ASC") for t in terms)
