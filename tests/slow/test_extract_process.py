"""The extract job under spark-submit with the line `make spark-submit-line` prints, and the helpers
the process-level tests share (kills and re-runs are in test_extract_faults_*.py).

Each test runs jobs as subprocesses (their own Spark), so they are slow and live in `make test-slow`.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    generate_corpus(landing, profile="small", archives=8, seed=11)
    return landing


def test_spark_submit_with_the_printed_line(sample_landing: Path, tmp_path: Path) -> None:
    from biomedica_spark.lake.session import spark_submit_line
    from tests.support.submit import local_sizing_confs

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
        *local_sizing_confs(),
        str(REPO / "jobs" / "extract.py"),
        f"landing.root={sample_landing}",
        f"lake.root={lake}",
    ]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "articles" in proc.stdout
    assert len(_table_rows(lake, "articles")) > 0
