"""A path table's current version read from its `_delta_log` folder's file names, without Spark."""

from __future__ import annotations

from biomedica_spark.lake.delta_io import latest_commit_version


def test_the_newest_commit_file_is_the_version() -> None:
    names = [
        "00000000000000000000.json",
        "00000000000000000009.json",
        "00000000000000000010.checkpoint.parquet",
        "00000000000000000010.json",
        "00000000000000000011.json",
        ".00000000000000000011.json.crc",
        "00000000000000000011.crc",
        "00000000000000000004.00000000000000000012.compacted.json",  # a log compaction, not a commit
        ".00000000000000000012.json.9b1e.tmp",  # a commit being written
        "_last_checkpoint",
        "_staged_commits",
    ]
    assert latest_commit_version(names) == 11


def test_a_log_without_commits_has_no_version() -> None:
    assert latest_commit_version([]) is None
    assert latest_commit_version(["_last_checkpoint", "00000000000000000003.checkpoint.parquet"]) is None
