"""The run report's file side without Spark: finding export manifests, writing the page atomically."""

from __future__ import annotations

import json
from pathlib import Path

from biomedica_spark.run_report.job import read_manifests, write_text


def _manifest(subset: str, samples: int) -> str:
    return json.dumps(
        {
            "subset": subset,
            "input_versions": {"pairs": 2},
            "total_samples": samples,
            "total_bytes": 10 * samples,
            "failed": {},
            "shards": [{"name": "000000.tar", "samples": samples, "bytes": 10 * samples, "sha256": "x"}],
        }
    )


def test_read_manifests_finds_every_subset_and_reports_broken_ones(tmp_path: Path) -> None:
    for subset, text in (("commercial", _manifest("commercial", 7)), ("other", "{truncated")):
        (tmp_path / subset).mkdir()
        (tmp_path / subset / "manifest.json").write_text(text)
    (tmp_path / "noncommercial").mkdir()  # an export still running: no manifest yet
    found, unreadable = read_manifests(str(tmp_path))
    assert [(s.subset, s.samples, s.input_versions) for s in found] == [("commercial", 7, {"pairs": 2})]
    assert len(unreadable) == 1 and unreadable[0].path.endswith("other/manifest.json")
    assert "not JSON" in unreadable[0].problem


def test_read_manifests_of_a_missing_export_is_empty(tmp_path: Path) -> None:
    assert read_manifests(str(tmp_path / "never-exported")) == ([], [])


def test_write_text_creates_folders_and_leaves_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "report.html"
    write_text(str(out), "<p>one</p>")
    write_text(str(out), "<p>two ✓</p>")
    assert out.read_text(encoding="utf-8") == "<p>two ✓</p>"
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]
