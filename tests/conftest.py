"""Shared fixtures: one in-process Spark session for every Spark test, and the real PMC corpus."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_ARCHIVE = REPO.parent / "shared" / "corpus" / "pmc-real.tar.gz"


@pytest.fixture(scope="session")
def real_corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked real corpus (`pmc-real/`): BIOMEDICA_CORPUS_DIR, else BIOMEDICA_CORPUS (the
    tar.gz), else ../shared/corpus/pmc-real.tar.gz beside the checkout. Skips when none exists."""
    unpacked = os.environ.get("BIOMEDICA_CORPUS_DIR")
    if unpacked and (Path(unpacked) / "MANIFEST.tsv").is_file():
        return Path(unpacked)
    archive = Path(os.environ.get("BIOMEDICA_CORPUS", DEFAULT_CORPUS_ARCHIVE))
    if not archive.is_file():
        pytest.skip(f"real PMC corpus not found at {archive} (set BIOMEDICA_CORPUS or BIOMEDICA_CORPUS_DIR)")
    target = tmp_path_factory.mktemp("corpus")
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target / "pmc-real"


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from biomedica_spark.config import load_config
    from biomedica_spark.lake.session import get_spark

    cfg = load_config(["spark.master='local[2]'"])
    session = get_spark(cfg)
    yield session
    session.stop()


@pytest.fixture()
def lake_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A config pointing at fresh landing and lake folders under tmp_path."""
    from biomedica_spark.config import load_config

    def make(*overrides: str, landing: Path | None = None):  # type: ignore[no-untyped-def]
        landing_root = landing if landing is not None else tmp_path / "landing"
        landing_root.mkdir(parents=True, exist_ok=True)
        return load_config(
            [
                f"landing.root={landing_root}",
                f"lake.root={tmp_path / 'lake'}",
                "spark.master='local[2]'",
                *overrides,
            ]
        )

    return make


@pytest.fixture(scope="session")
def demo_lake(spark, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A lake like `make demo` leaves (tests/support/demo_lake.py), built once for the operate tests."""
    from tests.support.demo_lake import build_demo_lake

    return build_demo_lake(spark, tmp_path_factory.mktemp("demo"))
