"""Process-level behaviour of the extract job: kill midway and re-run, and spark-submit.

Each test runs jobs as subprocesses (their own Spark), so they are slow and live in `make test-slow`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.delta]

REPO = Path(__file__).resolve().parents[2]
VOLATILE = {"run_id", "processed_at", "recorded_at"}


def _job(args: list[str], **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, str(REPO / "jobs" / "extract.py"), *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        **kwargs,
    )


def _table_rows(lake: Path, table: str) -> list[tuple]:
    import deltalake

    data = deltalake.DeltaTable(str(lake / table)).to_pyarrow_table().to_pylist()
    rows = [tuple(sorted((k, repr(v)) for k, v in row.items() if k not in VOLATILE)) for row in data]
    return sorted(rows)


def _committed_versions(table_dir: Path) -> int:
    log = table_dir / "_delta_log"
    return len(list(log.glob("*.json"))) if log.is_dir() else 0


@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biomedica_spark.samples.generator import generate_corpus

    root = tmp_path_factory.mktemp("sample")
    landing = root / "landing"
    generate_corpus(landing, profile="small", archives=60, seed=11)
    return landing


def test_killed_run_then_rerun_equals_an_uninterrupted_run(sample_landing: Path, tmp_path: Path) -> None:
    common = [f"landing.root={sample_landing}", "extract.batch_archives=12", "spark.master='local[2]'"]
    reference = tmp_path / "reference"
    done = _job([*common, f"lake.root={reference}"])
    out, _ = done.communicate(timeout=900)
    assert done.returncode == 0, out

    killed_lake = tmp_path / "killed"
    victim = _job([*common, f"lake.root={killed_lake}"])
    deadline = time.monotonic() + 600
    # Kill once at least one batch is committed but before the run is over (a batch commits
    # images, quarantine, articles, figures, then sources).
    while time.monotonic() < deadline and victim.poll() is None:
        if _committed_versions(killed_lake / "figures") >= 3:
            break
        time.sleep(0.2)
    assert victim.poll() is None, (
        "the run finished before it could be killed: raise archives or lower batch size"
    )
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)

    rerun = _job([*common, f"lake.root={killed_lake}"])
    out, _ = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, out
    for table in ("sources", "articles", "figures", "images", "quarantine"):
        assert _table_rows(killed_lake, table) == _table_rows(reference, table), table


def test_spark_submit_with_the_printed_line(sample_landing: Path, tmp_path: Path) -> None:
    from biomedica_spark.lake.session import spark_submit_line

    spark_submit = Path(sys.executable).parent / "spark-submit"
    if not spark_submit.exists():
        pytest.skip("spark-submit is not installed beside this interpreter")
    line = spark_submit_line().split()
    assert line[0] == "spark-submit" and line[-3:] == ["jobs/extract.py", "key=value", "..."]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    lake = tmp_path / "lake"
    cmd = [
        str(spark_submit),
        "--master",
        "local[2]",
        *line[1:-3],
        str(REPO / "jobs" / "extract.py"),
        f"landing.root={sample_landing}",
        f"lake.root={lake}",
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "articles" in proc.stdout
    assert len(_table_rows(lake, "articles")) > 0
