"""Fixtures of the extract fault tests: one corpus and one reference run per pytest run, shared by the
fault modules even when they run on different xdist workers (the reference run alone takes minutes)."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from slow.fault_runs import contents, extract_args, run_extract_process


def _shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every process of this pytest run sees: xdist gives each worker a base temp folder
    inside the run's own."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """Hold the folder's lock: the first worker builds, the others wait and then reuse what it built."""
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def faults_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _shared_folder(tmp_path_factory, "extract-faults")


@pytest.fixture(scope="session")
def faults_landing(faults_folder: Path) -> Path:
    from biomedica_spark.samples.generator import generate_corpus

    landing, done = faults_folder / "landing", faults_folder / "landing.done"
    with _exclusive(faults_folder):
        if not done.exists():  # a worker that failed midway leaves no marker: start again
            shutil.rmtree(landing, ignore_errors=True)
            generate_corpus(landing, profile="small", archives=24, seed=5)
            done.touch()
    return landing


@pytest.fixture(scope="session")
def reference(faults_landing: Path, faults_folder: Path) -> dict[str, list[tuple]]:
    """The tables' contents after one uninterrupted run."""
    saved = faults_folder / "reference.pickle"
    with _exclusive(faults_folder):
        if not saved.exists():
            lake = faults_folder / "reference-lake"
            shutil.rmtree(lake, ignore_errors=True)
            code, out = run_extract_process(extract_args(faults_landing, lake))
            assert code == 0, out[-4000:]
            saved.write_bytes(pickle.dumps(contents(lake)))
    loaded: dict[str, list[tuple]] = pickle.loads(saved.read_bytes())
    return loaded
