"""Extract runs as subprocesses for the fault tests (test_extract_faults_*.py): each of those modules
kills runs on one corpus and compares the tables with one uninterrupted run (fixtures in conftest.py).
The tests are in two modules so that the two xdist workers share them; the corpus and the reference
run are built once for both."""

from __future__ import annotations

from pathlib import Path

from slow.test_extract_process import _job, _table_rows

DATA_TABLES = ("sources", "articles", "figures", "images", "quarantine")
TIMEOUT = 1800  # seconds per run: generous, the machine may be shared


def extract_args(landing: Path, lake: Path, master: str = "local[2]") -> list[str]:
    return [
        f"landing.root={landing}",
        f"lake.root={lake}",
        "extract.batch_archives=12",
        f"spark.master='{master}'",
    ]


def run_extract_process(args: list[str]) -> tuple[int, str]:
    process = _job(args)
    out, _ = process.communicate(timeout=TIMEOUT)
    return process.returncode, out


def contents(lake: Path) -> dict[str, list[tuple]]:
    return {table: _table_rows(lake, table) for table in DATA_TABLES}
