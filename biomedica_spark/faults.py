"""Crash hooks for the fault-injection tests (`tests/slow/test_extract_faults_*.py`); inert unless set.

- `BIOMEDICA_FAULT_KILL_WORKER=<marker file>`: the first extract task to get there creates the marker
  and kills its Python worker, as an OOM killer would; Spark retries the task (`spark.task.maxFailures`,
  in local mode a `local[N,F]` master).
- `BIOMEDICA_FAULT_EXIT_AFTER_COMMITS=<n>`: the driver process exits right after its n-th Delta commit,
  as a crash between two commits would.
Both exit with `os._exit`: no cleanup, no `finally` blocks, exactly like a kill.
"""

from __future__ import annotations

import os

KILL_WORKER = "BIOMEDICA_FAULT_KILL_WORKER"
EXIT_AFTER_COMMITS = "BIOMEDICA_FAULT_EXIT_AFTER_COMMITS"
_EXIT_CODE = 137  # what a SIGKILL-ed process reports

_commits_done = 0


def kill_worker_once() -> None:
    marker = os.environ.get(KILL_WORKER)
    if not marker:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return  # already killed once: the retried task runs normally
    os._exit(_EXIT_CODE)


def committed() -> None:
    """Called after every Delta commit of this process."""
    limit = os.environ.get(EXIT_AFTER_COMMITS)
    if not limit:
        return
    global _commits_done
    _commits_done += 1
    if _commits_done >= int(limit):
        os._exit(_EXIT_CODE)
