"""Run-scoped folders: staging paths, removing a run's folder, and clearing what crashed runs left
(staging under the lake, acquire's temporary folders in the landing zone) after a day's grace."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from biomedica_spark.lake import staging


def run_folders(root: Path, **ages_s: float) -> None:
    """One folder a run (with a file in it), last modified `age` seconds ago."""
    for name, age in ages_s.items():
        (root / name).mkdir(parents=True)
        (root / name / "part.parquet").write_bytes(b"rows")
        stamp = time.time() - age
        os.utime(root / name, (stamp, stamp))


def test_stale_run_folders_go_fresh_ones_stay(tmp_path: Path) -> None:
    root = tmp_path / "_tmp_acquire"
    run_folders(root, crashed=2 * 86400, older=30 * 86400, running=60)
    assert staging.remove_stale(str(root)) == 2
    assert [p.name for p in root.iterdir()] == ["running"]
    assert staging.remove_stale(str(root), older_than=dt.timedelta(seconds=1)) == 1
    assert list(root.iterdir()) == [] and root.exists()  # the parent folder stays


def test_a_missing_folder_has_nothing_stale(tmp_path: Path) -> None:
    assert staging.remove_stale(str(tmp_path / "absent")) == 0
    assert not (tmp_path / "absent").exists()


def test_clear_stale_works_on_the_job_staging_of_the_lake(tmp_path: Path) -> None:
    lake: Any = SimpleNamespace(root=str(tmp_path / "lake"))
    root = tmp_path / "lake" / "_staging"
    run_folders(root / "acquire", crashed=2 * 86400, running=5)
    run_folders(root / "extract", other_job=2 * 86400)
    assert staging.clear_stale(lake, "acquire") == 1
    assert [p.name for p in (root / "acquire").iterdir()] == ["running"]
    assert [p.name for p in (root / "extract").iterdir()] == ["other_job"]  # another job's: untouched
    assert Path(staging.stage_path(lake, "acquire", "running")) == root / "acquire" / "running"


def test_remove_deletes_a_run_folder_and_tolerates_its_absence(tmp_path: Path) -> None:
    run_folders(tmp_path, run=0)
    staging.remove(str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()
    staging.remove(str(tmp_path / "run"))
