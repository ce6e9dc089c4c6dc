"""Writing one shard: `NNNNNN.tar` plus `NNNNNN.parquet` and `NNNNNN_stats.json` beside it.

Pure Python over an fsspec filesystem, so the same code writes local folders and object stores, inside
a Spark task or a test. Every file is written under a temporary name and renamed when complete; the tar
is renamed last, so a shard whose `.tar` exists is finished (sidecars included) and a re-run skips it.
Tar headers carry no time, owner or host: the same samples in the same order give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from biomedica_spark.export.biomedica_json import SIDECAR_KEYS
from biomedica_spark.export.images import ExportedImage, export_image
from biomedica_spark.export.sample_json import (
    CONCEPT_COLUMNS,
    SAMPLE_COLUMNS,
    SampleJsonBuilder,
    encode_json,
)
from biomedica_spark.quarantine import QuarantineItem

SHARD_DIGITS = 6
TMP_SUFFIX = ".tmp"

_INLINE_REF = pa.struct(
    [("paragraph", pa.string()), ("section_title", pa.string()), ("xref_text", pa.string())]
)
_LIST_COLUMNS = {"authors", "global_concepts", "local_concepts"}
_INT_COLUMNS = {"pub_year", "cluster_label_id"}
# One row per written sample: its metadata, what was written, and concept labels when annotated.
SIDECAR_SCHEMA = pa.schema(
    [
        (
            name,
            pa.list_(_INLINE_REF)
            if name == "inline_refs"
            else pa.list_(pa.string())
            if name in _LIST_COLUMNS
            else pa.int32()
            if name in _INT_COLUMNS
            else pa.string(),
        )
        for name in (*SAMPLE_COLUMNS, *CONCEPT_COLUMNS)
    ]
    + [("extension", pa.string()), ("width", pa.int32()), ("height", pa.int32()), ("image_bytes", pa.int64())]
)
_WRITTEN = ("extension", "width", "height", "image_bytes")
# export.format=biomedica: the sample's key and the scalar keys of its JSON, then what was written.
BIOMEDICA_SIDECAR_SCHEMA = pa.schema(
    [("key", pa.string())]
    + [(k, pa.int32() if kind is int else pa.string()) for k, kind in SIDECAR_KEYS.items()]
    + [(name, SIDECAR_SCHEMA.field(name).type) for name in _WRITTEN]
)


@dataclass(frozen=True)
class Sidecar:
    """The `<shard>.parquet` layout of one export.format: its schema, and its row for one written sample
    (from the metadata row, the sample's JSON as built, and the image written)."""

    schema: pa.Schema
    row: Callable[[Mapping[str, Any], Mapping[str, Any], ExportedImage], dict[str, Any]]


def shard_name(number: int) -> str:
    return f"{number:0{SHARD_DIGITS}d}"


def brace_pattern(prefix: str, shards: int) -> str:
    """The `--train-data` value for `shards` contiguous shards under `prefix`."""
    if shards <= 1:
        return f"{prefix}/{shard_name(0)}.tar"
    return f"{prefix}/{{{shard_name(0)}..{shard_name(shards - 1)}}}.tar"


def tar_member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _HashingWriter(io.RawIOBase):
    """Passes writes through to `target`, keeping the sha256 and byte count of everything written."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.sha256.update(view)
        self.size += view.nbytes
        self.target.write(view)
        return view.nbytes


@dataclass
class ShardResult:
    stats: dict[str, Any]
    quarantine: list[tuple[Mapping[str, Any], QuarantineItem]] = field(default_factory=list)


def write_shard(
    fs: Any,
    subset_dir: str,
    number: int,
    rows: Iterable[Mapping[str, Any]],
    build_json: SampleJsonBuilder,
    max_side: int | None = None,
    sidecar_layout: Sidecar | None = None,
) -> ShardResult:
    """Write the samples of `rows` (metadata columns, `image_bytes`, and optionally the `images` row's
    `stored_width`/`stored_height`) as shard `number`; `sidecar_layout` defaults to the native one.

    A row whose image cannot be exported is left out and returned with its QuarantineItem; the shard
    is still written, so numbering stays contiguous. Returns the stats written to `_stats.json`."""
    layout = sidecar_layout or NATIVE_SIDECAR
    name = shard_name(number)
    token = uuid.uuid4().hex[:12]
    tar_path = f"{subset_dir}/{name}.tar"
    tar_tmp = f"{tar_path}.{token}{TMP_SUFFIX}"
    sidecar: list[dict[str, Any]] = []
    failures: Counter[str] = Counter()
    extensions: Counter[str] = Counter()
    result = ShardResult(stats={})
    planned = image_bytes = 0
    with fs.open(tar_tmp, "wb") as raw:
        hashing = _HashingWriter(raw)
        with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
            for row in rows:
                planned += 1
                image = export_image(row.get("image_bytes"), max_side, _stored_size(row))
                if isinstance(image, QuarantineItem):
                    failures[image.reason.value] += 1
                    result.quarantine.append((row, image))
                    continue
                sample = _add_sample(tar, row, image, build_json)
                extensions[image.extension] += 1
                image_bytes += len(image.data)
                sidecar.append(layout.row(row, sample, image))
    result.stats = {
        "shard": f"{name}.tar",
        "samples": len(sidecar),
        "planned": planned,
        "failed": dict(sorted(failures.items())),
        "extensions": dict(sorted(extensions.items())),
        "image_bytes": image_bytes,
        "tar_bytes": hashing.size,
        "sha256": hashing.sha256.hexdigest(),
    }
    parquet = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(sidecar, schema=layout.schema), parquet)
    write_atomically(fs, f"{subset_dir}/{name}.parquet", parquet.getvalue())
    write_atomically(fs, f"{subset_dir}/{name}_stats.json", json_bytes(result.stats))
    fs.mv(tar_tmp, tar_path)
    return result


def _add_sample(
    tar: tarfile.TarFile, row: Mapping[str, Any], image: ExportedImage, build_json: SampleJsonBuilder
) -> dict[str, Any]:
    """Add the sample's three members; returns its JSON as built (the sidecar may copy from it)."""
    key = row["key"]
    sample = build_json(row, image.width, image.height)
    members = (
        (f"{key}.{image.extension}", image.data),
        (f"{key}.json", encode_json(sample)),
        (f"{key}.txt", str(row["caption"]).encode("utf-8")),
    )
    for member, data in members:
        tar.addfile(tar_member(member, len(data)), io.BytesIO(data))
    return sample


def _stored_size(row: Mapping[str, Any]) -> tuple[int, int] | None:
    width, height = row.get("stored_width"), row.get("stored_height")
    return (int(width), int(height)) if width and height else None


def _written(image: ExportedImage) -> dict[str, Any]:
    return {
        "extension": image.extension,
        "width": image.width,
        "height": image.height,
        "image_bytes": len(image.data),
    }


def _native_sidecar_row(
    row: Mapping[str, Any], sample: Mapping[str, Any], image: ExportedImage
) -> dict[str, Any]:
    return {**{name: row.get(name) for name in (*SAMPLE_COLUMNS, *CONCEPT_COLUMNS)}, **_written(image)}


def _biomedica_sidecar_row(
    row: Mapping[str, Any], sample: Mapping[str, Any], image: ExportedImage
) -> dict[str, Any]:
    return {"key": row["key"], **{k: sample[k] for k in SIDECAR_KEYS}, **_written(image)}


NATIVE_SIDECAR = Sidecar(SIDECAR_SCHEMA, _native_sidecar_row)
# The sidecar layout of each export.format (sample_json.FORMATS names the same formats).
SIDECARS: dict[str, Sidecar] = {
    "native": NATIVE_SIDECAR,
    "biomedica": Sidecar(BIOMEDICA_SIDECAR_SCHEMA, _biomedica_sidecar_row),
}


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=1, sort_keys=True).encode("utf-8")


def write_atomically(fs: Any, path: str, data: bytes) -> None:
    tmp = f"{path}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}"
    with fs.open(tmp, "wb") as f:
        f.write(data)
    fs.mv(tmp, path)
