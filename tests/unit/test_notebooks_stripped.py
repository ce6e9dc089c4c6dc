"""Notebooks are committed without outputs, find their lake through BIOMEDICA_LAKE and stop their Spark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = {
    "cluster_viewer.ipynb",
    "explore_pairs.ipynb",
    "funnel_and_concepts.ipynb",
    "label_clusters.ipynb",
}
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _source(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else str(source)


def test_the_notebooks_are_there() -> None:
    assert {p.name for p in PATHS} >= EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_is_valid_and_stripped(path: Path) -> None:
    import nbformat

    notebook = json.loads(path.read_text(encoding="utf-8"))
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert cell["outputs"] == [], f"{path.name} cell {cell.get('id')} has outputs: strip them"
        assert cell["execution_count"] is None, f"{path.name} cell {cell.get('id')} has an execution count"
    for cell in notebook["cells"]:
        assert "attachments" not in cell or not cell["attachments"], f"{path.name}: attachments"
    assert set(notebook["metadata"]) <= {"kernelspec", "language_info"}, "strip widget/execution metadata"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_reads_its_lake_from_the_environment_and_stops_spark(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [_source(c) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert 'os.environ.get("BIOMEDICA_LAKE"' in code[0]
    assert code[-1].strip() == "spark.stop()"
