"""Fixtures of the extract fault tests: module-scoped, so each fault module builds its own once."""

from __future__ import annotations

from pathlib import Path

import pytest

from slow.fault_runs import contents, extract_args, run_extract_process


@pytest.fixture(scope="module")
def faults_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biomedica_spark.samples.generator import generate_corpus

    landing = tmp_path_factory.mktemp("faults") / "landing"
    generate_corpus(landing, profile="small", archives=24, seed=5)
    return landing


@pytest.fixture(scope="module")
def reference(faults_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The tables' contents after one uninterrupted run."""
    lake = tmp_path_factory.mktemp("reference") / "lake"
    code, out = run_extract_process(extract_args(faults_landing, lake))
    assert code == 0, out[-4000:]
    return contents(lake)
