"""The crash hooks: inert without their variable, and exactly one kill / one exit when set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from biomedica_spark import faults


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"from biomedica_spark import faults\n{code}\nprint('alive')"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_hooks_do_nothing_unless_switched_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(faults.KILL_WORKER, raising=False)
    monkeypatch.delenv(faults.EXIT_AFTER_COMMITS, raising=False)
    faults.kill_worker_once()
    for _ in range(3):
        faults.committed()


def test_exit_after_the_nth_commit() -> None:
    twice = "faults.committed()\nfaults.committed()"
    assert _python(twice, **{faults.EXIT_AFTER_COMMITS: "3"}).stdout == "alive\n"
    exited = _python(twice, **{faults.EXIT_AFTER_COMMITS: "2"})
    assert (exited.returncode, exited.stdout) == (137, "")


def test_the_worker_is_killed_once_only(tmp_path: Path) -> None:
    marker = str(tmp_path / "killed")
    first = _python("faults.kill_worker_once()", **{faults.KILL_WORKER: marker})
    assert (first.returncode, first.stdout, Path(marker).exists()) == (137, "", True)
    assert _python("faults.kill_worker_once()", **{faults.KILL_WORKER: marker}).stdout == "alive\n"
