"""What to fetch, keep or remove: the filters and DESIGN's rule for an article's current version.

Pure functions over one article's known versions (fresh JSON, or what the ledger remembers of versions
whose JSON did not change), so the rule is tested without Spark and applied per article in a grouped UDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

SUBSETS = frozenset({"commercial", "noncommercial", "other"})


class Exclusion(str, Enum):
    LEFT_OA_SUBSET = "left_oa_subset"  # is_pmc_openaccess false, or no longer listed
    RETRACTED = "retracted"
    LICENSE_EXCLUDED = "license_excluded"  # licence subset not among acquire.licenses
    MANUSCRIPT_EXCLUDED = "manuscript_excluded"


class Action(str, Enum):
    FETCH = "fetch"  # the current version, new or changed since it was last fetched
    UP_TO_DATE = "up_to_date"  # the current version, already fetched with this metadata
    NOT_CURRENT = "not_current"  # admissible, but another version is current
    EXCLUDED = "excluded"  # filtered out (reason given)


@dataclass(frozen=True)
class Filters:
    subsets: frozenset[str]
    include_manuscripts: bool = True
    drop_retracted: bool = True

    @staticmethod
    def of(subsets: Iterable[str], include_manuscripts: bool = True, drop_retracted: bool = True) -> Filters:
        chosen = frozenset(s.strip().lower() for s in subsets)
        unknown = chosen - SUBSETS
        if unknown or not chosen:
            raise ValueError(f"acquire.licenses must name some of {sorted(SUBSETS)}, got {sorted(chosen)}")
        return Filters(chosen, include_manuscripts, drop_retracted)


@dataclass(frozen=True)
class VersionState:
    pmcid: str
    version: int | None  # None for legacy packages (one per article)
    license_subset: str
    is_open_access: bool
    is_manuscript: bool
    is_retracted: bool
    last_modified: dt.datetime | None  # JSON LastModified (cloud) or Last Updated (legacy)
    etag: str | None = None
    previous_status: str | None = None  # ledger status of this version before this run
    previous_etag: str | None = None
    previous_last_modified: dt.datetime | None = None


@dataclass(frozen=True)
class Decision:
    version: int | None
    action: Action
    reason: str | None  # the Exclusion value, or "not_current"


@dataclass(frozen=True)
class ArticleDecision:
    pmcid: str
    decisions: tuple[Decision, ...]
    removal: Exclusion | None  # the article was fetched before and no version is admissible now


def exclusion(state: VersionState, filters: Filters) -> Exclusion | None:
    if not state.is_open_access:
        return Exclusion.LEFT_OA_SUBSET
    if state.is_retracted and filters.drop_retracted:
        return Exclusion.RETRACTED
    if state.license_subset not in filters.subsets:
        return Exclusion.LICENSE_EXCLUDED
    if state.is_manuscript and not filters.include_manuscripts:
        return Exclusion.MANUSCRIPT_EXCLUDED
    return None


def preference_key(state: VersionState) -> tuple[int, float, int]:
    """DESIGN: the published (not manuscript) version, then the latest LastModified, then the higher
    number. A higher number alone does not make a version preferred."""
    modified = state.last_modified.timestamp() if state.last_modified else float("-inf")
    return (0 if state.is_manuscript else 1, modified, state.version if state.version is not None else -1)


def current_version(states: Sequence[VersionState]) -> VersionState | None:
    return max(states, key=preference_key) if states else None


def needs_fetch(state: VersionState) -> bool:
    """New, failed before, or changed since it was fetched (ETag when known, else LastModified)."""
    if state.previous_status != "fetched":
        return True
    if state.etag is not None or state.previous_etag is not None:
        return state.etag != state.previous_etag
    return state.last_modified != state.previous_last_modified


def decide_article(states: Sequence[VersionState], filters: Filters) -> ArticleDecision:
    """One decision per known version of one article, and whether the article must be removed."""
    if not states:
        raise ValueError("an article needs at least one version")
    reasons = {id(s): exclusion(s, filters) for s in states}
    admissible = [s for s in states if reasons[id(s)] is None]
    current = current_version(admissible)
    decisions = []
    for state in states:
        reason = reasons[id(state)]
        if reason is not None:
            decisions.append(Decision(state.version, Action.EXCLUDED, reason.value))
        elif state is current:
            action = Action.FETCH if needs_fetch(state) else Action.UP_TO_DATE
            decisions.append(Decision(state.version, action, None))
        else:
            decisions.append(Decision(state.version, Action.NOT_CURRENT, Action.NOT_CURRENT.value))
    removal = None
    if current is None and any(s.previous_status == "fetched" for s in states):
        preferred = current_version(states)
        removal = reasons[id(preferred)] if preferred is not None else None
    return ArticleDecision(states[0].pmcid, tuple(decisions), removal)


def modified_since(last_modified: dt.datetime | None, since: dt.date | None) -> bool:
    """The `acquire.since` filter; an unknown date passes (better fetched twice than never)."""
    if since is None or last_modified is None:
        return True
    return last_modified.date() >= since
