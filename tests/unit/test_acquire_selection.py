"""The selection rule: filters, DESIGN's current version, what to fetch, when an article is removed."""

from __future__ import annotations

import datetime as dt

import pytest

from biomedica_spark.acquire.selection import (
    Action,
    Exclusion,
    Filters,
    VersionState,
    current_version,
    decide_article,
    modified_since,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ALL = Filters.of(["commercial", "noncommercial", "other"])


def state(version: int | None = 1, **kw: object) -> VersionState:
    base: dict[str, object] = dict(
        pmcid="PMC1", version=version, license_subset="commercial", is_open_access=True,
        is_manuscript=False, is_retracted=False, last_modified=T0, etag=f"e{version}",
    )  # fmt: skip
    base.update(kw)
    return VersionState(**base)  # type: ignore[arg-type]


def test_published_beats_a_higher_manuscript_version() -> None:
    published = state(1)
    manuscript = state(2, is_manuscript=True, last_modified=T0 + dt.timedelta(days=5))
    assert current_version([published, manuscript]) is published


def test_then_latest_last_modified_then_higher_number() -> None:
    older, newer = state(2), state(1, last_modified=T0 + dt.timedelta(hours=1))
    assert current_version([older, newer]) is newer
    assert current_version([state(1), state(3), state(2)]).version == 3  # type: ignore[union-attr]


def test_new_version_is_fetched_and_the_old_one_kept_as_not_current() -> None:
    old = state(1, previous_status="fetched", previous_etag="e1")
    new = state(2, last_modified=T0 + dt.timedelta(days=1))
    decision = decide_article([old, new], ALL)
    assert [(d.version, d.action) for d in decision.decisions] == [(1, Action.NOT_CURRENT), (2, Action.FETCH)]
    assert decision.removal is None


def test_unchanged_fetched_version_is_up_to_date_and_a_changed_one_is_refetched() -> None:
    same = decide_article([state(1, previous_status="fetched", previous_etag="e1")], ALL)
    assert same.decisions[0].action is Action.UP_TO_DATE
    changed = decide_article([state(1, previous_status="fetched", previous_etag="old")], ALL)
    assert changed.decisions[0].action is Action.FETCH
    failed = decide_article([state(1, previous_status="failed", previous_etag="e1")], ALL)
    assert failed.decisions[0].action is Action.FETCH


def test_legacy_change_detection_uses_last_updated() -> None:
    kept = state(None, etag=None, previous_status="fetched", previous_last_modified=T0)
    assert decide_article([kept], ALL).decisions[0].action is Action.UP_TO_DATE
    moved = state(
        None, etag=None, previous_status="fetched", previous_last_modified=T0 - dt.timedelta(days=1)
    )
    assert decide_article([moved], ALL).decisions[0].action is Action.FETCH


@pytest.mark.parametrize(
    ("changes", "filters", "reason"),
    [
        ({"is_open_access": False}, ALL, Exclusion.LEFT_OA_SUBSET),
        ({"is_retracted": True}, ALL, Exclusion.RETRACTED),
        ({"license_subset": "noncommercial"}, Filters.of(["commercial"]), Exclusion.LICENSE_EXCLUDED),
        (
            {"is_manuscript": True},
            Filters.of(["commercial"], include_manuscripts=False),
            Exclusion.MANUSCRIPT_EXCLUDED,
        ),
    ],
)
def test_exclusions_skip_new_articles_and_remove_fetched_ones(
    changes: dict[str, object], filters: Filters, reason: Exclusion
) -> None:
    never_fetched = decide_article([state(1, **changes)], filters)
    assert never_fetched.decisions[0].action is Action.EXCLUDED
    assert never_fetched.decisions[0].reason == reason.value and never_fetched.removal is None
    fetched = decide_article([state(1, previous_status="fetched", previous_etag="e1", **changes)], filters)
    assert fetched.removal is reason


def test_retracted_articles_are_kept_when_asked() -> None:
    keep = Filters.of(["commercial"], drop_retracted=False)
    assert decide_article([state(1, is_retracted=True)], keep).decisions[0].action is Action.FETCH


def test_an_excluded_current_version_falls_back_to_an_admissible_one() -> None:
    nc = state(2, license_subset="noncommercial", last_modified=T0 + dt.timedelta(days=1))
    decision = decide_article([state(1), nc], Filters.of(["commercial"]))
    assert [d.action for d in decision.decisions] == [Action.FETCH, Action.EXCLUDED]


def test_filters_reject_unknown_subsets() -> None:
    with pytest.raises(ValueError, match=r"acquire\.licenses"):
        Filters.of(["commercial", "cc-by"])
    with pytest.raises(ValueError):
        Filters.of([])


def test_since() -> None:
    assert modified_since(T0, dt.date(2026, 1, 1)) and not modified_since(T0, dt.date(2026, 1, 2))
    assert modified_since(None, dt.date(2026, 1, 2)) and modified_since(T0, None)
