"""Faults from outside real extract runs (subprocesses, their own Spark): the whole process group killed
with SIGKILL mid-run, as an operator or a node loss would, and two runs at once on the same input.
After each, the tables hold exactly what one uninterrupted run writes (full contents, volatile columns
aside). Kills from the job's own hooks: test_extract_faults_injected.py.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from slow.fault_runs import TIMEOUT, contents, extract_args, run_extract_process
from slow.test_extract_process import _committed_versions, _job, _table_rows

pytestmark = [pytest.mark.slow, pytest.mark.delta]


def test_the_process_group_killed_mid_run_then_a_rerun_equals_one_run(
    faults_landing: Path, reference: dict, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    victim = _job(extract_args(faults_landing, lake))
    deadline = time.monotonic() + TIMEOUT
    # Kill after the second batch's figures commit, before its sources commit: the first batch is
    # done, the second half-committed and the third not begun (33 files: the 24 archives and the
    # generator's bare XML and broken inputs, 12 per batch).
    while time.monotonic() < deadline and victim.poll() is None:
        if _committed_versions(lake / "figures") >= 3:
            break
        time.sleep(0.2)
    assert victim.poll() is None, "the run finished before it could be killed"
    os.killpg(victim.pid, signal.SIGKILL)  # the driver, its JVM and its Python workers at once
    victim.wait(timeout=60)
    assert contents(lake) != reference  # it died midway

    code, out = run_extract_process(extract_args(faults_landing, lake))
    assert code == 0, out[-4000:]
    assert contents(lake) == reference


def test_two_runs_at_once_on_the_same_input_equal_one_run(
    faults_landing: Path, reference: dict, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    runs = [_job(extract_args(faults_landing, lake)) for _ in range(2)]
    outputs = [run.communicate(timeout=TIMEOUT)[0] for run in runs]
    for run, out in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out[-4000:]
    assert contents(lake) == reference
    assert len(_table_rows(lake, "runs")) == 2
