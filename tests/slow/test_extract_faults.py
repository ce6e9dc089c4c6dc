"""Faults injected into real extract runs (subprocesses, their own Spark): a Python worker killed
mid-task, the driver killed between two Delta commits, the whole process group killed mid-run, two
runs at once on the same input. After each, the tables hold exactly what one uninterrupted run writes
(full contents, volatile columns aside).

The first kills come from the hooks in `biomedica_spark/faults.py`, switched on by environment
variables; the process group is killed from outside with SIGKILL, as an operator or a node loss would.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from biomedica_spark import faults
from slow.test_extract_process import _committed_versions, _job, _table_rows

pytestmark = [pytest.mark.slow, pytest.mark.delta]

DATA_TABLES = ("sources", "articles", "figures", "images", "quarantine")
TIMEOUT = 1800  # seconds per run: generous, the machine may be shared


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biomedica_spark.samples.generator import generate_corpus

    landing = tmp_path_factory.mktemp("faults") / "landing"
    generate_corpus(landing, profile="small", archives=24, seed=5)
    return landing


def _args(landing: Path, lake: Path, master: str = "local[2]") -> list[str]:
    return [
        f"landing.root={landing}",
        f"lake.root={lake}",
        "extract.batch_archives=12",
        f"spark.master='{master}'",
    ]


def _run(args: list[str]) -> tuple[int, str]:
    process = _job(args)
    out, _ = process.communicate(timeout=TIMEOUT)
    return process.returncode, out


def _contents(lake: Path) -> dict[str, list[tuple]]:
    return {table: _table_rows(lake, table) for table in DATA_TABLES}


@pytest.fixture(scope="module")
def reference(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    lake = tmp_path_factory.mktemp("reference") / "lake"
    code, out = _run(_args(landing, lake))
    assert code == 0, out[-4000:]
    return _contents(lake)


def test_a_worker_killed_mid_task_is_retried_and_loses_nothing(
    landing: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "worker-killed"
    monkeypatch.setenv(faults.KILL_WORKER, str(marker))
    lake = tmp_path / "lake"
    code, out = _run(_args(landing, lake, master="local[2,4]"))  # local[N,F]: F attempts per task
    assert code == 0, out[-4000:]
    assert marker.exists(), "no worker was killed"
    assert _contents(lake) == reference


# 6 table creations, then per batch images, quarantine (when it has new rows), articles, figures,
# sources: 9 dies inside the first batch, 15 between the second and the third.
@pytest.mark.parametrize("commits", [9, 15])
def test_the_driver_killed_between_commits_then_a_rerun_equals_one_run(
    commits: int, landing: Path, reference: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    monkeypatch.setenv(faults.EXIT_AFTER_COMMITS, str(commits))
    code, out = _run(_args(landing, lake))
    assert code == 137, out[-4000:]
    interrupted = _contents(lake)
    assert len(interrupted["articles"]) > 0 and interrupted != reference  # it died midway

    monkeypatch.delenv(faults.EXIT_AFTER_COMMITS)
    code, out = _run(_args(landing, lake))
    assert code == 0, out[-4000:]
    assert _contents(lake) == reference


def test_the_process_group_killed_mid_run_then_a_rerun_equals_one_run(
    landing: Path, reference: dict, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    victim = _job(_args(landing, lake))
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
    assert _contents(lake) != reference  # it died midway

    code, out = _run(_args(landing, lake))
    assert code == 0, out[-4000:]
    assert _contents(lake) == reference


def test_two_runs_at_once_on_the_same_input_equal_one_run(
    landing: Path, reference: dict, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    runs = [_job(_args(landing, lake)) for _ in range(2)]
    outputs = [run.communicate(timeout=TIMEOUT)[0] for run in runs]
    for run, out in zip(runs, outputs, strict=True):
        assert run.returncode == 0, out[-4000:]
    assert _contents(lake) == reference
    assert len(_table_rows(lake, "runs")) == 2
