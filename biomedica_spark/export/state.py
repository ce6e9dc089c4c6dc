"""What a subset folder records about the export that wrote it, and what a new run may do with it.

`_export.json` is written before the first shard: the content config and the Delta versions of the
tables read. A later run with the same record resumes (writes only the shards whose `.tar` is missing)
or, when `manifest.json` is there too, does nothing. A different record is refused with the
differences spelled out: shards from two configs or two versions of the lake never mix in one folder.
Choose a new `export.out` (or remove the folder) to export again after the tables changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from biomedica_spark.export.shards import TMP_SUFFIX, json_bytes, shard_name, write_atomically

RECORD = "_export.json"
MANIFEST = "manifest.json"
SIZES = "sizes.json"


class ExportConflict(RuntimeError):
    """The subset folder holds an export of another config or another version of the tables."""


class SubsetStatus(str, Enum):
    NEW = "new"  # nothing written yet
    RESUME = "resume"  # same record, but no manifest or a shard gone: write the missing shards
    COMPLETE = "complete"  # same record, a manifest and all its shards: nothing to do


@dataclass(frozen=True)
class ExportRecord:
    subset: str
    config: Mapping[str, Any]
    input_versions: Mapping[str, int]
    package_version: str

    def as_json(self) -> dict[str, Any]:
        return {
            "subset": self.subset,
            "config": dict(self.config),
            "input_versions": dict(self.input_versions),
            "package_version": self.package_version,
        }


def differences(recorded: Mapping[str, Any], wanted: ExportRecord) -> list[str]:
    """Human-readable differences that make `recorded` (an `_export.json`) incompatible with `wanted`."""
    out = []
    old_config, new_config = recorded.get("config", {}), dict(wanted.config)
    for key in sorted(set(old_config) | set(new_config)):
        if old_config.get(key) != new_config.get(key):
            out.append(f"export.{key}: {old_config.get(key)!r} -> {new_config.get(key)!r}")
    old_versions, new_versions = recorded.get("input_versions", {}), dict(wanted.input_versions)
    for table in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(table) != new_versions.get(table):
            out.append(f"table {table}: version {old_versions.get(table)} -> {new_versions.get(table)}")
    return out


def subset_status(fs: Any, subset_dir: str, wanted: ExportRecord) -> SubsetStatus:
    """Decide what this run may do in `subset_dir`; raise ExportConflict when it must not touch it."""
    record_path = f"{subset_dir}/{RECORD}"
    if not fs.exists(record_path):
        leftovers = [p for p in _names(fs, subset_dir) if not p.endswith(TMP_SUFFIX)]
        if leftovers:
            raise ExportConflict(
                f"{subset_dir} holds files no export recorded ({', '.join(sorted(leftovers)[:5])}); "
                "choose an empty export.out"
            )
        return SubsetStatus.NEW
    recorded = json.loads(fs.cat_file(record_path))
    diffs = differences(recorded, wanted)
    if diffs:
        raise ExportConflict(
            f"{subset_dir} was exported with other settings or tables ({'; '.join(diffs)}). "
            "Shards of two exports never mix: set a new export.out, or remove that folder to replace it."
        )
    return SubsetStatus.COMPLETE if _manifest_intact(fs, subset_dir) else SubsetStatus.RESUME


def _manifest_intact(fs: Any, subset_dir: str) -> bool:
    """A manifest whose every shard (tar and sidecars) is still there: a deleted shard means resume."""
    if not fs.exists(f"{subset_dir}/{MANIFEST}"):
        return False
    names = set(_names(fs, subset_dir))
    for shard in json.loads(fs.cat_file(f"{subset_dir}/{MANIFEST}"))["shards"]:
        stem = str(shard["name"]).removesuffix(".tar")
        if not {f"{stem}.tar", f"{stem}.parquet", f"{stem}_stats.json"} <= names:
            return False
    return True


def write_record(fs: Any, subset_dir: str, record: ExportRecord) -> None:
    """Record the export before its first shard; a resumed folder keeps its record (already equal)."""
    fs.makedirs(subset_dir, exist_ok=True)
    if not fs.exists(f"{subset_dir}/{RECORD}"):
        write_atomically(fs, f"{subset_dir}/{RECORD}", json_bytes(record.as_json()))


def finished_shards(fs: Any, subset_dir: str) -> set[int]:
    """Shard numbers whose `.tar` exists (renamed last, so their sidecars exist too)."""
    numbers = set()
    for name in _names(fs, subset_dir):
        stem, dot, ext = name.partition(".")
        if dot and ext == "tar" and stem.isdigit():
            numbers.add(int(stem))
    return numbers


def remove_temporaries(fs: Any, subset_dir: str) -> int:
    """Delete the half-written files of a crashed run (one export per folder at a time)."""
    stale = [n for n in _names(fs, subset_dir) if n.endswith(TMP_SUFFIX)]
    for name in stale:
        fs.rm(f"{subset_dir}/{name}")
    return len(stale)


def manifest(record: ExportRecord, shard_stats: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`manifest.json`: totals, every shard with its checksum, the config and the input versions."""
    shards = sorted(shard_stats, key=lambda s: str(s["shard"]))
    failed: dict[str, int] = {}
    for stats in shards:
        for reason, n in stats["failed"].items():
            failed[reason] = failed.get(reason, 0) + int(n)
    return {
        **record.as_json(),
        "total_samples": sum(int(s["samples"]) for s in shards),
        "total_bytes": sum(int(s["tar_bytes"]) for s in shards),
        "failed": dict(sorted(failed.items())),
        "shards": [
            {"name": s["shard"], "samples": s["samples"], "bytes": s["tar_bytes"], "sha256": s["sha256"]}
            for s in shards
        ],
    }


def sizes(shard_stats: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """`sizes.json` as open_clip reads it: shard file name -> number of samples."""
    return {str(s["shard"]): int(s["samples"]) for s in sorted(shard_stats, key=lambda s: str(s["shard"]))}


def write_summary(
    fs: Any, subset_dir: str, record: ExportRecord, shard_stats: Sequence[Mapping[str, Any]]
) -> None:
    """sizes.json, then manifest.json: the manifest marks the subset complete, so it goes last."""
    write_atomically(fs, f"{subset_dir}/{SIZES}", json.dumps(sizes(shard_stats), sort_keys=True).encode())
    write_atomically(fs, f"{subset_dir}/{MANIFEST}", json_bytes(manifest(record, shard_stats)))


def read_shard_stats(fs: Any, subset_dir: str, numbers: Sequence[int]) -> list[dict[str, Any]]:
    return [json.loads(fs.cat_file(f"{subset_dir}/{shard_name(n)}_stats.json")) for n in numbers]


def _names(fs: Any, folder: str) -> list[str]:
    if not fs.exists(folder):
        return []
    return [str(p).rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(folder, detail=False)]
