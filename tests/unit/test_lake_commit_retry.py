"""A commit that loses a race with a concurrent writer is run again, a bounded number of times."""

from __future__ import annotations

import pytest
from delta.exceptions import ConcurrentAppendException, ProtocolChangedException

from biomedica_spark.lake import delta_io
from biomedica_spark.lake.delta_io import COMMIT_ATTEMPTS, Lake


@pytest.fixture()
def lake(monkeypatch: pytest.MonkeyPatch) -> Lake:
    monkeypatch.setattr(delta_io.time, "sleep", lambda seconds: None)
    return Lake.__new__(Lake)  # _commit needs no session


def test_a_lost_race_is_committed_on_a_later_attempt(lake: Lake) -> None:
    attempts = []

    def write() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ProtocolChangedException("two writers created the table")
        if len(attempts) == 2:
            raise ConcurrentAppendException("files were added by a concurrent update")

    lake._commit("images", write)
    assert len(attempts) == 3


def test_a_conflict_that_persists_is_raised_after_the_bound(lake: Lake) -> None:
    attempts = []

    def write() -> None:
        attempts.append(1)
        raise ConcurrentAppendException("always")

    with pytest.raises(ConcurrentAppendException):
        lake._commit("images", write)
    assert len(attempts) == COMMIT_ATTEMPTS


def test_other_errors_are_never_retried(lake: Lake) -> None:
    attempts = []

    def write() -> None:
        attempts.append(1)
        raise ValueError("a bug, not a race")

    with pytest.raises(ValueError):
        lake._commit("images", write)
    assert len(attempts) == 1
