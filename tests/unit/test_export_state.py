"""Subset folder state: new, resume, complete, refusal with the differences, manifest and sizes."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from biomedica_spark.export.state import (
    ExportConflict,
    ExportRecord,
    SubsetStatus,
    finished_shards,
    manifest,
    remove_temporaries,
    sizes,
    subset_status,
    write_record,
    write_summary,
)

RECORD = ExportRecord("commercial", {"seed": 0, "samples_per_shard": 10}, {"pairs": 3, "images": 1}, "0.1.0")
STATS = [
    {"shard": "000001.tar", "samples": 4, "failed": {"image_corrupt": 1}, "tar_bytes": 400, "sha256": "b"},
    {"shard": "000000.tar", "samples": 10, "failed": {}, "tar_bytes": 900, "sha256": "a"},
]


def test_lifecycle_new_resume_complete(tmp_path: Path) -> None:
    fs, folder = fsspec.filesystem("file"), str(tmp_path / "commercial")
    assert subset_status(fs, folder, RECORD) is SubsetStatus.NEW
    write_record(fs, folder, RECORD)
    assert subset_status(fs, folder, RECORD) is SubsetStatus.RESUME
    for shard in ("000000", "000001"):
        for suffix in (".tar", ".parquet", "_stats.json"):
            (tmp_path / "commercial" / f"{shard}{suffix}").write_bytes(b"")
    write_summary(fs, folder, RECORD, STATS)
    assert subset_status(fs, folder, RECORD) is SubsetStatus.COMPLETE
    (tmp_path / "commercial" / "000001.tar").unlink()  # a shard deleted after the export finished
    assert subset_status(fs, folder, RECORD) is SubsetStatus.RESUME
    assert json.loads((tmp_path / "commercial" / "sizes.json").read_text()) == {
        "000000.tar": 10,
        "000001.tar": 4,
    }


def test_changed_config_or_tables_is_refused_with_the_differences(tmp_path: Path) -> None:
    fs, folder = fsspec.filesystem("file"), str(tmp_path / "commercial")
    write_record(fs, folder, RECORD)
    changed = ExportRecord(
        "commercial", {"seed": 1, "samples_per_shard": 10}, {"pairs": 4, "images": 1}, "0.1.0"
    )
    with pytest.raises(ExportConflict, match=r"export.seed: 0 -> 1; table pairs: version 3 -> 4"):
        subset_status(fs, folder, changed)


def test_a_folder_with_foreign_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "commercial").mkdir()
    (tmp_path / "commercial" / "notes.txt").write_text("mine")
    with pytest.raises(ExportConflict, match=r"notes\.txt"):
        subset_status(fsspec.filesystem("file"), str(tmp_path / "commercial"), RECORD)


def test_finished_shards_and_temporaries(tmp_path: Path) -> None:
    for name in ("000000.tar", "000002.tar", "000001.parquet", "000001.tar.abc.tmp", "_export.json"):
        (tmp_path / name).write_bytes(b"")
    fs = fsspec.filesystem("file")
    assert finished_shards(fs, str(tmp_path)) == {0, 2}
    assert remove_temporaries(fs, str(tmp_path)) == 1
    assert not (tmp_path / "000001.tar.abc.tmp").exists()


def test_manifest_lists_shards_in_order_with_totals() -> None:
    doc = manifest(RECORD, STATS)
    assert doc["total_samples"] == 14 and doc["total_bytes"] == 1300
    assert doc["failed"] == {"image_corrupt": 1}
    assert [s["name"] for s in doc["shards"]] == ["000000.tar", "000001.tar"]
    assert doc["input_versions"] == {"pairs": 3, "images": 1} and doc["config"]["seed"] == 0
    assert sizes(STATS) == {"000000.tar": 10, "000001.tar": 4}
