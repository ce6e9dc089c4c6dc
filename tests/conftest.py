"""Shared fixtures: one in-process Spark session for every Spark test, and the real PMC corpus."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_ARCHIVE = REPO.parent / "shared" / "corpus" / "pmc-real.tar.gz"


TEST_SESSION_CONFS = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
# conf/ stops the embedded JVM at the C1 compiler: a single extract job ends before C2 pays for itself.
# A test process runs hundreds of jobs over half an hour, where the full tiered JIT wins: extract +
# dedup of 10 archives, third and fourth round in one session, took 55 and 46 s with C1, 37 and 32 s
# with it (its first round costs more: it compiles).
TEST_SESSION_JVM_OPTIONS = "-XX:TieredStopAtLevel=4"

# Fixtures built once per test process that cost minutes: tests using one share an xdist worker.
SHARED_SESSION_FIXTURES = ("demo_lake",)
# The longest modules (measured; a wrong entry only costs time): started first, so no worker is left
# with one of them at the end while the other idles. The fault modules share one reference run
# (tests/slow/conftest.py): the first builds it while the other worker runs the packed venv's test.
LONGEST_MODULES = (
    "tests/slow/test_extract_faults_injected.py",
    "tests/slow/test_packed_venv.py",
    "tests/slow/test_extract_faults_external.py",
    "tests/spark/test_pipeline.py",
    "tests/spark/test_annotate_job.py",
    "tests/spark/test_dedup_job.py",
    "tests/spark/test_export_job.py",
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`-n 2 --dist loadgroup`, as `make test` runs) each module's tests stay on one
    worker, so its module-scoped fixtures (a lake built by several jobs) are built once; the modules
    on a shared session fixture go to one worker together, so it too is built once. (Collection runs
    in the workers, where xdist reports `dist` as "no": only its plugin's presence is checked.)

    Groups are handed out in collection order (`--no-loadscope-reorder`), so the costly ones go
    first (the longest modules, the shared fixtures, then whatever runs jobs) and the many quick unit
    tests fill in last."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    modules_on: dict[str, str] = {}
    for item in items:
        for fixture in SHARED_SESSION_FIXTURES:
            if fixture in getattr(item, "fixturenames", ()):
                modules_on[item.nodeid.split("::")[0]] = fixture
    for item in items:
        module = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(modules_on.get(module, module)))

    def cost_rank(item: pytest.Item) -> tuple[int, int]:
        module = item.nodeid.split("::")[0]
        if module in LONGEST_MODULES:
            return 0, LONGEST_MODULES.index(module)
        if module in modules_on:
            return 1, 0
        return (2 if item.get_closest_marker("spark") or item.get_closest_marker("slow") else 3), 0

    items.sort(key=cost_rank)  # stable: a module's tests keep their order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """In the xdist controller: under `--dist loadgroup` every test got a group above, which xdist's
    workers append to its node id, and its scheduler groups by that suffix. pytest 9.2 ignores xdist
    3.8's renaming, so every module fixture was built once per worker; fail loudly instead. The Spark
    3.5 lane installs the test tools `requirements/constraints.txt` pins for this reason."""
    if node.config.getvalue("dist") == "loadgroup" and ids and not any("@" in nodeid for nodeid in ids):
        raise pytest.UsageError(
            f"pytest-xdist did not apply the test groups (first test: {ids[0]}): pytest "
            f"{pytest.__version__} and this pytest-xdist do not work together"
        )


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
def spark_config():  # type: ignore[no-untyped-def]
    """The config the tests' session is built from: conf/'s, with TEST_SESSION_JVM_OPTIONS."""
    from omegaconf import OmegaConf

    from biomedica_spark.config import load_config

    cfg = load_config(["spark.master='local[2]'"])
    OmegaConf.set_readonly(cfg, False)
    cfg.spark.conf["spark.driver.extraJavaOptions"] = TEST_SESSION_JVM_OPTIONS
    OmegaConf.set_readonly(cfg, True)
    return cfg


@pytest.fixture(scope="session")
def spark(spark_config) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from biomedica_spark.lake.session import get_spark

    session = get_spark(spark_config)
    # The tests' tables hold a few rows, where compiling generated code for every query costs more than
    # running it: interpret instead (test_export_job: 295 s -> 247 s). Jobs run as subprocesses
    # (make test-slow) and make demo keep Spark's code generation.
    for key, value in TEST_SESSION_CONFS.items():
        session.conf.set(key, value)
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
