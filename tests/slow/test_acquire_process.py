"""A killed acquire run loses nothing: the re-run finishes the work, every article lands once and whole,
and the ledger says so. The job runs as a subprocess (its own Spark) against the loopback server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from support.pmc_mirror import MirrorHttpServer, build_mirror

pytestmark = [pytest.mark.slow, pytest.mark.delta, pytest.mark.corpus]

REPO = Path(__file__).resolve().parents[2]
COUNT = 8


def _acquire(args: list[str]) -> subprocess.Popen:  # type: ignore[type-arg]
    return subprocess.Popen(
        [sys.executable, str(REPO / "jobs" / "acquire.py"), *args],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_killed_run_then_rerun_fetches_everything_once(real_corpus_dir: Path, tmp_path: Path) -> None:
    import deltalake

    mirror = build_mirror(real_corpus_dir, tmp_path / "mirror", count=COUNT)
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    with MirrorHttpServer(mirror.root) as server:
        server.latency_s = 0.2  # slow enough to kill the job between chunks
        args = [f"landing.root={landing}", f"lake.root={lake}", "spark.master='local[2]'",
                "acquire.source=pmc_cloud", f"acquire.cloud.endpoint={server.url}/cloud",
                "acquire.batch_items=2", "acquire.tasks=1", "acquire.concurrency=1"]  # fmt: skip
        killed = _acquire(args)
        deadline = time.monotonic() + 600
        while not list(landing.glob("pmc_cloud/*/*.tar.gz")) and time.monotonic() < deadline:
            assert killed.poll() is None, killed.stdout.read() if killed.stdout else ""
            time.sleep(0.5)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        landed_before_kill = len(list(landing.glob("pmc_cloud/*/*.tar.gz")))
        assert 0 < landed_before_kill < COUNT

        rerun = _acquire(args)
        output, _ = rerun.communicate(timeout=900)
        assert rerun.returncode == 0, output

    archives = sorted(landing.glob("pmc_cloud/*/*.tar.gz"))
    assert len(archives) == COUNT
    for archive in archives:
        with tarfile.open(archive) as tar:
            assert all(tar.extractfile(m).read() is not None for m in tar.getmembers())  # type: ignore[union-attr]
    ledger = deltalake.DeltaTable(str(lake / "fetch_ledger")).to_pyarrow_table().to_pylist()
    assert sorted((r["pmcid"], r["status"]) for r in ledger) == sorted(
        (p, "fetched") for p, _ in mirror.articles
    )
