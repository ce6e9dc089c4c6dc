"""Writing one shard: tar contents, sidecars, failures, determinism, atomic names, any fsspec filesystem."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from biomedica_spark.export.sample_json import native_sample_json
from biomedica_spark.export.shards import SIDECAR_SCHEMA, brace_pattern, shard_name, write_shard


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG")
    return out.getvalue()


def _rows(n: int, broken: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    return [
        {
            "key": f"PMC{i}_1",
            "pmcid": f"PMC{i}",
            "caption": f"Caption {i} – µm",
            "license_code": "CC BY",
            "image_bytes": b"not an image" if i in broken else _jpeg(i),
            "first_source_path": f"/landing/{i}.tar.gz",
        }
        for i in range(n)
    ]


def _members(path: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(path) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def test_shard_holds_image_caption_and_json_per_sample(tmp_path: Path) -> None:
    fs = fsspec.filesystem("file")
    rows = _rows(3)
    result = write_shard(fs, str(tmp_path), 7, iter(rows), native_sample_json)
    members = _members(tmp_path / "000007.tar")
    assert [name for name, _ in members] == [
        f"PMC{i}_1.{ext}" for i in range(3) for ext in ("jpg", "json", "txt")
    ]
    by_name = dict(members)
    assert by_name["PMC1_1.txt"].decode("utf-8") == "Caption 1 – µm"
    assert by_name["PMC1_1.jpg"] == rows[1]["image_bytes"]
    assert json.loads(by_name["PMC1_1.json"])["width"] == 60
    assert result.stats["samples"] == 3 and result.stats["failed"] == {}
    assert result.stats["tar_bytes"] == (tmp_path / "000007.tar").stat().st_size
    stats = json.loads((tmp_path / "000007_stats.json").read_text())
    assert stats == result.stats
    sidecar = pq.read_table(tmp_path / "000007.parquet")
    assert sidecar.schema.equals(SIDECAR_SCHEMA)
    assert sidecar.column("key").to_pylist() == ["PMC0_1", "PMC1_1", "PMC2_1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["000007.parquet", "000007.tar", "000007_stats.json"]


def test_bad_images_are_returned_for_quarantine_and_the_shard_still_written(tmp_path: Path) -> None:
    result = write_shard(
        fsspec.filesystem("file"), str(tmp_path), 0, iter(_rows(4, broken=(2,))), native_sample_json
    )
    assert [row["key"] for row, _ in result.quarantine] == ["PMC2_1"]
    assert result.stats["samples"] == 3 and result.stats["planned"] == 4
    assert result.stats["failed"] == {"image_corrupt": 1}
    assert not any(name.startswith("PMC2_1") for name, _ in _members(tmp_path / "000000.tar"))


def test_same_rows_give_the_same_bytes(tmp_path: Path) -> None:
    fs = fsspec.filesystem("file")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_shard(fs, str(tmp_path / "a"), 0, iter(_rows(3)), native_sample_json)
    second = write_shard(fs, str(tmp_path / "b"), 0, iter(_rows(3)), native_sample_json)
    assert (tmp_path / "a" / "000000.tar").read_bytes() == (tmp_path / "b" / "000000.tar").read_bytes()
    assert first.stats["sha256"] == second.stats["sha256"]


def test_any_fsspec_filesystem_works() -> None:
    fs = fsspec.filesystem("memory")
    write_shard(fs, "/export/commercial", 1, iter(_rows(2)), native_sample_json)
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls("/export/commercial", detail=False))
    assert names == ["000001.parquet", "000001.tar", "000001_stats.json"]
    fs.rm("/export", recursive=True)


def test_names_and_brace_pattern() -> None:
    assert shard_name(12) == "000012"
    assert brace_pattern("out/commercial", 124) == "out/commercial/{000000..000123}.tar"
    assert brace_pattern("out/other", 1) == "out/other/000000.tar"
