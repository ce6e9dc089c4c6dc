"""Export manifests (`<export.out>/<subset>/manifest.json`, written by the export job) as report rows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportedSubset:
    path: str  # the manifest's location
    subset: str
    samples: int
    shards: int
    bytes: int
    failed: dict[str, int] = field(default_factory=dict)  # reason -> samples the export could not write
    input_versions: dict[str, int] = field(default_factory=dict)  # Delta versions the export read


@dataclass(frozen=True)
class UnreadableManifest:
    path: str
    problem: str


def parse_manifest(path: str, text: str | bytes) -> ExportedSubset | UnreadableManifest:
    """One manifest; anything malformed is an `UnreadableManifest` with the reason, never an exception."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        return UnreadableManifest(path, f"not JSON: {error}")
    if not isinstance(data, dict):
        return UnreadableManifest(path, f"expected a JSON object, got {type(data).__name__}")
    try:
        shards = data["shards"]
        if not isinstance(shards, list):
            raise TypeError(f"shards is {type(shards).__name__}, not a list")
        return ExportedSubset(
            path=path,
            subset=str(data["subset"]),
            samples=_count(data["total_samples"], "total_samples"),
            shards=len(shards),
            bytes=_count(data.get("total_bytes", 0), "total_bytes"),
            failed={str(k): _count(v, f"failed.{k}") for k, v in _mapping(data.get("failed", {})).items()},
            input_versions={
                str(k): _count(v, f"input_versions.{k}")
                for k, v in _mapping(data.get("input_versions", {})).items()
            },
        )
    except KeyError as error:
        return UnreadableManifest(path, f"missing key {error}")
    except (TypeError, ValueError) as error:
        return UnreadableManifest(path, str(error))


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _mapping(value: object) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def exported_samples(subsets: Iterable[ExportedSubset]) -> int | None:
    """Samples over every readable manifest; None when there is none (nothing exported yet)."""
    found = list(subsets)
    return sum(s.samples for s in found) if found else None
