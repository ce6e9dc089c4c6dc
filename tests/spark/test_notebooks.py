"""Every notebook in notebooks/ runs headless (nbclient, a kernel of this interpreter) against the demo
lake without a cell error, shows what it is for (images, plots, the funnel) and stops its Spark."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Each notebook runs in its own kernel process with its own Spark session: the slow lane (make test-slow).
pytestmark = [pytest.mark.spark, pytest.mark.delta, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
KERNEL = "biomedica-notebook-test"
# Appended to each notebook in memory (never on disk): did the notebook stop Spark, and which JVM was it?
SPARK_PROBE = """
from pyspark import SparkContext
gateway = getattr(SparkContext, "_gateway", None)
proc = getattr(gateway, "proc", None)
stopped = SparkContext._active_spark_context is None
print("SPARK-PROBE", stopped, proc.pid if proc is not None else -1, sys.executable)
"""


@dataclass(frozen=True)
class Expect:
    min_images: int  # image/png outputs (matplotlib figures, contact sheets)
    texts: tuple[str, ...]  # regular expressions the notebook's text output must match


EXPECT = {
    "explore_pairs.ipynb": Expect(1, (r"(\d+) canonical pairs selected", r"rendered [1-9]\d* images")),
    "cluster_viewer.ipynb": Expect(
        1, (r"cluster [0-9a-f]{64}", r"[2-9]\d* members shown, used by \d+ articles")
    ),
    "funnel_and_concepts.ipynb": Expect(2, (r"Archives\s+(\d[\d,]*)", r"Canonical pairs\s+\d")),
    "label_clusters.ipynb": Expect(1, (r"concept_source",)),
}


@pytest.fixture(scope="module")
def notebook_lake(spark, demo_lake, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A copy of the demo lake (label_clusters writes labels) with annotate's contact sheets rendered."""
    from biomedica_spark.annotate.job import make_sheets, settings_from_config
    from biomedica_spark.annotate.taxonomy import load_taxonomy
    from biomedica_spark.config import load_config
    from biomedica_spark.lake.delta_io import Lake

    base = tmp_path_factory.mktemp("notebook-lake")
    shutil.copytree(demo_lake.lake, base / "lake")
    overrides = [o for o in demo_lake.overrides if not o.startswith("lake.root=")]
    cfg = load_config([*overrides, f"lake.root={base / 'lake'}"])
    lake = Lake(spark, cfg)  # path reads and MERGEs only: the session's catalog keeps the demo lake
    settings = settings_from_config(cfg, lake.root)
    make_sheets(lake, settings, load_taxonomy(settings.taxonomy_path), "notebook-test")
    return base / "lake"


@pytest.fixture(scope="module")
def kernel_of_this_interpreter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernelspec that runs ipykernel in this very interpreter (not whatever `python3` a user's
    Jupyter config names)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    return root


def test_every_notebook_has_expectations() -> None:
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == set(EXPECT)


def _outputs(notebook) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    text, images = [], 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text.append(output.get("text", ""))
            data = output.get("data", {})
            if "image/png" in data:
                images += 1
            if "text/plain" in data:
                text.append(data["text/plain"])
            if "text/html" in data:
                text.append(data["text/html"])
    return "\n".join(text), images


def _gone(pid: int, wait_s: float = 30.0) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_notebook_runs_headless(
    name: str, notebook_lake: Path, demo_lake, kernel_of_this_interpreter: Path, monkeypatch, spark
) -> None:  # type: ignore[no-untyped-def]
    import nbformat
    from nbclient import NotebookClient

    from biomedica_spark.lake.delta_io import Lake

    monkeypatch.setenv("BIOMEDICA_LAKE", str(notebook_lake))
    monkeypatch.setenv("BIOMEDICA_EXPORT", str(demo_lake.export))
    monkeypatch.setenv("BIOMEDICA_SPARK_MASTER", "local[1]")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_of_this_interpreter))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend renders PNGs
    for variable in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET"):  # the kernel starts its own JVM
        monkeypatch.delenv(variable, raising=False)

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import sys\n" + SPARK_PROBE))
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=600,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError (with the traceback) on any cell error

    text, images = _outputs(notebook)
    expect = EXPECT[name]
    assert images >= expect.min_images, f"{name}: {images} images rendered\n{text[-3000:]}"
    for pattern in expect.texts:
        assert re.search(pattern, text), f"{name}: no output matching {pattern!r}\n{text[-3000:]}"

    probe = re.search(r"SPARK-PROBE (True|False) (-?\d+) (\S+)", text)
    assert probe, text[-2000:]
    assert probe.group(1) == "True", f"{name} left its SparkContext running: end with spark.stop()"
    assert Path(probe.group(3)).resolve() == Path(sys.executable).resolve()
    jvm = int(probe.group(2))
    assert jvm > 0 and _gone(jvm), f"{name}: the kernel's JVM (pid {jvm}) outlived the kernel"

    if name == "funnel_and_concepts.ipynb":
        archives = re.search(EXPECT[name].texts[0], text)
        assert archives is not None
        expected = Lake(spark, demo_lake.config()).read("sources").count()
        assert int(archives.group(1).replace(",", "")) == expected
