"""Faults injected into real extract runs (subprocesses, their own Spark) by the hooks in
`biomedica_spark/faults.py`, switched on by environment variables: a Python worker killed mid-task, the
driver killed between two Delta commits. After each, the tables hold exactly what one uninterrupted run
writes (full contents, volatile columns aside). Kills from outside: test_extract_faults_external.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from biomedica_spark import faults
from slow.fault_runs import contents, extract_args, run_extract_process

pytestmark = [pytest.mark.slow, pytest.mark.delta]


def test_a_worker_killed_mid_task_is_retried_and_loses_nothing(
    faults_landing: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "worker-killed"
    monkeypatch.setenv(faults.KILL_WORKER, str(marker))
    lake = tmp_path / "lake"
    # local[N,F]: F attempts per task
    code, out = run_extract_process(extract_args(faults_landing, lake, master="local[2,4]"))
    assert code == 0, out[-4000:]
    assert marker.exists(), "no worker was killed"
    assert contents(lake) == reference


# 6 table creations, then per batch images, quarantine (when it has new rows), articles, figures,
# sources: 9 dies inside the first batch, 15 between the second and the third.
@pytest.mark.parametrize("commits", [9, 15])
def test_the_driver_killed_between_commits_then_a_rerun_equals_one_run(
    commits: int, faults_landing: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    monkeypatch.setenv(faults.EXIT_AFTER_COMMITS, str(commits))
    code, out = run_extract_process(extract_args(faults_landing, lake))
    assert code == 137, out[-4000:]
    interrupted = contents(lake)
    assert len(interrupted["articles"]) > 0 and interrupted != reference  # it died midway

    monkeypatch.delenv(faults.EXIT_AFTER_COMMITS)
    code, out = run_extract_process(extract_args(faults_landing, lake))
    assert code == 0, out[-4000:]
    assert contents(lake) == reference
