"""The export job end to end on a lake built by extract + dedup from a generated corpus.

One module-scoped lake and one first export are shared; each other test exports to its own folder
(or a copy of the first), so they stay independent.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.delta]

SHARD = 7  # samples per shard: several shards per subset on a small lake


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.samples.generator import generate_corpus

    base = tmp_path_factory.mktemp("export")
    generate_corpus(base / "landing", profile="small", archives=40, seed=7)
    cfg = load_config(
        [f"landing.root={base / 'landing'}", f"lake.root={base / 'lake'}", "spark.master='local[2]'"]
    )
    run_extract(spark, cfg)
    run_dedup(spark, cfg)
    return {"base": base, "root": base / "lake"}


def _config(lake: dict[str, Any], out: Path, *overrides: str, root: Path | None = None):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config

    return load_config(
        [
            f"lake.root={root or lake['root']}",
            f"export.out={out}",
            f"export.samples_per_shard={SHARD}",
            "export.min_image_side=16",  # the corpus's only 16-bit image is 32x24
            "spark.master='local[2]'",
            *overrides,
        ]
    )


def _export(spark, lake: dict[str, Any], out: Path, *overrides: str, root: Path | None = None):  # type: ignore[no-untyped-def]
    from biomedica_spark.export.job import run_export

    return run_export(spark, _config(lake, out, *overrides, root=root))


@pytest.fixture(scope="module")
def first(spark, lake: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = lake["base"] / "out"
    result = _export(spark, lake, out)
    return {"out": out, "result": result, "files": _snapshot(out)}


def _snapshot(out: Path) -> dict[str, tuple[int, str]]:
    """Every file under `out`: (mtime_ns, sha256)."""
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _lake_rows(spark, root: Path, query: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [r.asDict() for r in spark.read.format("delta").load(str(root / query)).collect()]


def key_is_jpeg_reencoded(image_row: dict[str, Any]) -> bool:
    """A JPEG the export had to decode and re-encode (lossy), by DESIGN's image-bytes rule."""
    plain = image_row["mode"] in ("RGB", "L") and image_row["bit_depth"] == 8
    return image_row["format"] == "JPEG" and not (plain and image_row["exif_orientation"] in (None, 1))


def test_open_clip_reads_every_sample_as_the_normalised_image(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq
    import webdataset as wds
    from PIL import Image

    from biomedica_spark.images.decode import decode_image
    from biomedica_spark.images.normalise import normalise

    pairs = {r["pair_key"]: r for r in _lake_rows(spark, lake["root"], "pairs")}
    images = {r["image_sha256"]: r for r in _lake_rows(spark, lake["root"], "images")}
    seen: dict[str, int] = {}
    hard_cases = {"alpha": 0, "16-bit": 0, "exif": 0}
    total = 0
    for subset in first["result"].subsets:
        sizes = json.loads((first["out"] / subset.subset / "sizes.json").read_text())
        if not sizes:
            continue
        assert len(sizes) > 1 or subset.samples <= SHARD
        urls = subset.train_data
        assert urls is not None and ("{" in urls) == (len(sizes) > 1)
        # Exactly open_clip's pipeline; unshuffled, it yields the shards' samples in the sidecars' order.
        dataset = wds.WebDataset(urls).decode("pilrgb").to_tuple("jpg;png;jpeg;webp", "txt")
        keys = [
            key
            for name in sorted(sizes)
            for key in pq.read_table(first["out"] / subset.subset / name.replace(".tar", ".parquet"))
            .column("key")
            .to_pylist()
        ]
        count = 0
        for (image, caption), key in zip(dataset, keys, strict=True):
            count += 1
            seen[key] = seen.get(key, 0) + 1
            pair = pairs[key]
            assert caption == pair["caption"]
            row = images[pair["image_sha256"]]
            expected = np.asarray(
                normalise(decode_image(row["image_bytes"])).convert("RGB"), dtype=np.float64
            )
            got = np.asarray(image, dtype=np.float64)
            assert got.shape == expected.shape, key
            # Plain sources are their original bytes and PNGs are lossless: equal. JPEG sources that had
            # to be re-encoded (EXIF rotation, CMYK) differ by quantisation only.
            assert np.abs(got - expected).mean() < 2.0, key
            if not key_is_jpeg_reencoded(row):
                assert np.array_equal(got, expected), key
            opened = Image.open(io.BytesIO(row["image_bytes"]))
            hard_cases["alpha"] += opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
            hard_cases["16-bit"] += row["bit_depth"] == 16
            hard_cases["exif"] += row["exif_orientation"] not in (None, 1)
        assert count == sum(sizes.values()) == subset.samples
        total += count
    assert total > 0 and all(n == 1 for n in seen.values())  # keys unique across the whole export
    assert all(hard_cases.values()), hard_cases


def test_shards_are_contiguous_with_sidecars_manifest_and_json(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    for subset in first["result"].subsets:
        folder = first["out"] / subset.subset
        manifest = json.loads((folder / "manifest.json").read_text())
        names = [s["name"] for s in manifest["shards"]]
        assert names == [f"{n:06d}.tar" for n in range(len(names))]
        assert set(manifest["input_versions"]) == {"pairs", "articles", "images"}
        assert manifest["config"]["samples_per_shard"] == SHARD
        for shard in manifest["shards"]:
            stem = shard["name"][:-4]
            assert hashlib.sha256((folder / shard["name"]).read_bytes()).hexdigest() == shard["sha256"]
            sidecar = pq.read_table(folder / f"{stem}.parquet")
            assert sidecar.num_rows == shard["samples"] <= SHARD
            stats = json.loads((folder / f"{stem}_stats.json").read_text())
            assert stats["samples"] == shard["samples"]
            for key in sidecar.column("key").to_pylist():
                assert "." not in key
    import tarfile

    with tarfile.open(first["out"] / "commercial" / "000000.tar") as tar:
        metas = [json.loads(tar.extractfile(m).read()) for m in tar if m.name.endswith(".json")]  # type: ignore[union-attr]
    pairs = {p["pair_key"]: p for p in _lake_rows(spark, lake["root"], "pairs")}
    for meta in metas:
        pair = pairs[meta["key"]]
        assert meta["license"]["subset"] == "commercial" and meta["license"]["code"] == pair["license_code"]
        assert meta.get("pmcid") == pair["pmcid"] and meta["cluster_id"] == pair["cluster_id"]
        assert {"title", "width", "height", "citation", "year"} <= set(meta)


def test_filters_leave_out_what_they_should(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    pairs = _lake_rows(spark, lake["root"], "pairs")
    exported = set()
    for subset in first["result"].subsets:
        for part in (first["out"] / subset.subset).glob("*.parquet"):
            import pyarrow.parquet as pq

            exported |= set(pq.read_table(part).column("key").to_pylist())
    by_key = {p["pair_key"]: p for p in pairs}
    assert exported
    for key in exported:
        pair = by_key[key]
        assert pair["is_canonical"] and not pair["is_retracted"] and not pair["has_own_permissions"]
    dropped = first["result"].dropped
    assert dropped["not_canonical"] == sum(1 for p in pairs if not p["is_canonical"])
    assert dropped["retracted"] > 0 and dropped["third_party_permissions"] > 0


def test_idempotent_rerun_writes_nothing(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    again = _export(spark, lake, first["out"])
    assert _snapshot(first["out"]) == first["files"]
    assert all(s.status == "complete" and s.shards_written == 0 for s in again.subsets)
    assert [s.samples for s in again.subsets] == [s.samples for s in first["result"].subsets]


def test_same_seed_same_bytes_other_seed_other_order(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    twin = lake["base"] / "twin"
    _export(spark, lake, twin, "export.subsets=[commercial]")
    tars = sorted(p.name for p in (first["out"] / "commercial").glob("*.tar"))
    for name in tars:
        assert (twin / "commercial" / name).read_bytes() == (first["out"] / "commercial" / name).read_bytes()
    reseeded = lake["base"] / "reseeded"
    _export(spark, lake, reseeded, "export.subsets=[commercial]", "export.seed=1")
    assert (reseeded / "commercial" / tars[0]).read_bytes() != (
        first["out"] / "commercial" / tars[0]
    ).read_bytes()


def test_resume_rewrites_only_missing_shards(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    out = lake["base"] / "resume"
    shutil.copytree(first["out"], out)
    before = _snapshot(out)
    folder = out / "commercial"
    (folder / "000001.tar").unlink()  # a shard lost after the export finished
    (folder / "000002.tar").unlink()  # and a crash that left a temporary file and no manifest
    (folder / "000002.tar.0123abcd.tmp").write_bytes(b"half a shard")
    (folder / "manifest.json").unlink()
    result = _export(spark, lake, out)
    after = _snapshot(out)
    assert set(after) == set(before)
    rewritten = {name for name in after if after[name][0] != before[name][0]}
    shard_files = {
        f"commercial/{s}{x}" for s in ("000001", "000002") for x in (".tar", ".parquet", "_stats.json")
    }
    assert rewritten == shard_files | {"commercial/manifest.json", "commercial/sizes.json"}
    assert all(after[name][1] == before[name][1] for name in after)  # the same bytes as the first export
    assert {s.subset: s.shards_written for s in result.subsets}["commercial"] == 2


def test_changed_config_is_refused(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.export.state import ExportConflict

    with pytest.raises(ExportConflict, match=r"export\.seed: 0 -> 3"):
        _export(spark, lake, first["out"], "export.seed=3")
    assert _snapshot(first["out"]) == first["files"]


def test_concept_filter_without_labels_is_a_clear_error(spark, lake) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.export.settings import ExportConfigError

    with pytest.raises(ExportConfigError, match="run the annotate job first"):
        _export(spark, lake, lake["base"] / "concepts", "export.concepts.include=[microscopy]")
    assert not (lake["base"] / "concepts").exists()


def test_unreadable_image_is_quarantined_not_fatal(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    root = lake["base"] / "broken-lake"
    shutil.copytree(lake["root"], root)
    import pyarrow.parquet as pq

    key = pq.read_table(first["out"] / "commercial" / "000000.parquet").column("key")[0].as_py()
    pair = next(p for p in _lake_rows(spark, root, "pairs") if p["pair_key"] == key)
    DeltaTable.forPath(spark, str(root / "images")).update(
        F.col("image_sha256") == pair["image_sha256"], {"image_bytes": F.substring("image_bytes", 1, 100)}
    )
    out = lake["base"] / "broken-out"
    result = _export(spark, lake, out, "export.subsets=[commercial]", root=root)
    commercial = result.subsets[0]
    assert commercial.failed == {"image_corrupt": 1}
    assert commercial.samples == first["result"].subsets[0].samples - 1
    quarantined = [q for q in _lake_rows(spark, root, "quarantine") if q["stage"] == "export"]
    assert [(q["item"], q["reason_code"]) for q in quarantined] == [(key, "image_corrupt")]
