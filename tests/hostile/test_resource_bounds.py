"""Every resource bound of `extract.limits`, set small through the config as an operator would, holds:
what crosses it is quarantined with its reason, what stays under it passes untouched."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import random
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.extract.explode import ArchiveInput, ExplodedArchive, ExtractSettings, explode_archive
from biomedica_spark.extract.job import settings_from_config
from biomedica_spark.samples.packing import tar_bytes
from hostile.corpus import BOMB_INFLATED_BYTES, article_xml, jpeg, tar_gz_bomb

MiB = 1 << 20
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def settings(*overrides: str) -> ExtractSettings:
    return settings_from_config(load_config([f"extract.limits.{o}" for o in overrides]))


def explode(
    name: str, data: bytes, extract_settings: ExtractSettings, tmp_path: Path | None = None
) -> ExplodedArchive:
    """Inline, or streamed by path when `tmp_path` is given."""
    if tmp_path is None:
        return explode_archive(ArchiveInput(f"file:/l/{name}", len(data), NOW, data), extract_settings, "r")
    path = tmp_path / name
    path.write_bytes(data)
    return explode_archive(ArchiveInput(str(path), len(data), NOW, None), extract_settings, "r")


def reasons(out: ExplodedArchive) -> list[str]:
    return [q["reason_code"] for q in out.quarantine]


def good_package(pmcid: str = "PMC1", **extra: bytes) -> bytes:
    members = {f"{pmcid}/main.nxml": article_xml(pmcid).encode(), f"{pmcid}/gr1.jpg": jpeg(1)}
    members.update({f"{pmcid}/{name}": data for name, data in extra.items()})
    return tar_bytes(members, compress=True, level=1)


@pytest.fixture(scope="module")
def large_low_ratio_package() -> bytes:
    """~76 MiB inflated: ten 7 MiB incompressible supplements and 6 MiB of dense XML-like text.
    Its ratio is ~1.1: a legitimate bulk package in miniature."""
    rng = random.Random(3)
    supplements = {f"s{n}.pdf": rng.randbytes(7 * MiB) for n in range(10)}
    supplements["notes.xml"] = b"<notes>" + b"<p>dense repetitive text</p>" * (6 * MiB // 28) + b"</notes>"
    return good_package(**supplements)


@pytest.mark.parametrize("streamed", [False, True], ids=["inline", "streamed"])
def test_archive_size_bound(streamed: bool, tmp_path: Path) -> None:
    data = good_package()
    bounded = settings(f"max_archive_bytes={len(data) - 1}")
    out = explode("a.tar.gz", data, bounded, tmp_path if streamed else None)
    assert (reasons(out), out.articles) == (["archive_too_large"], [])
    admitted = explode(
        "a.tar.gz", data, settings(f"max_archive_bytes={len(data)}"), tmp_path if streamed else None
    )
    assert (reasons(admitted), len(admitted.articles)) == ([], 1)


def test_ratio_and_member_bounds_stop_a_bomb_but_pass_a_large_low_ratio_package(
    large_low_ratio_package: bytes,
) -> None:
    bounded = settings("max_compression_ratio=4", f"max_member_bytes={8 * MiB}")
    good = explode("bulk.tar.gz", large_low_ratio_package, bounded)
    assert reasons(good) == []
    assert len(good.articles) == 1 and len(good.images) == 1

    bomb = tar_gz_bomb({"PMC2/main.nxml": article_xml("PMC2").encode()}, "PMC2/zeros.pdf", 100 * MiB)
    stopped = explode("bomb.tar.gz", bomb, bounded)
    assert reasons(stopped) == ["member_too_large", "compression_ratio"]
    assert [a["article_key"] for a in stopped.articles] == ["PMC2"]  # what came before the bomb stays

    by_ratio_alone = explode("bomb.tar.gz", bomb, settings("max_compression_ratio=4"))
    assert reasons(by_ratio_alone) == ["compression_ratio"]


def test_the_default_bounds_stop_a_gigabyte_bomb_and_pass_the_large_package(
    large_low_ratio_package: bytes,
) -> None:
    defaults = settings()
    assert reasons(explode("bulk.tar.gz", large_low_ratio_package, defaults)) == []
    bomb = tar_gz_bomb(
        {"PMC2/main.nxml": article_xml("PMC2").encode()}, "PMC2/zeros.pdf", BOMB_INFLATED_BYTES
    )
    assert reasons(explode("bomb.tar.gz", bomb, defaults)) == ["member_too_large", "compression_ratio"]


def test_per_member_inflated_size_bound_on_tar_zip_and_bare_xml(tmp_path: Path) -> None:
    bounded = settings(f"max_member_bytes={MiB}")
    big = os.urandom(MiB + 1)
    out = explode("a.tar.gz", good_package(**{"big.pdf": big}), bounded)
    assert (reasons(out), len(out.articles)) == (["member_too_large"], 1)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("PMC3/main.nxml", article_xml("PMC3"))
        archive.writestr("PMC3/gr1.jpg", big)
    honest = buffer.getvalue()
    out = explode("a.zip", honest, bounded)
    assert (reasons(out), len(out.articles)) == (["member_too_large"], 1)
    # A header understating the size does not get the member in: zipfile inflates no further than the
    # declared size, and the CRC of that prefix fails.
    declared = len(big).to_bytes(4, "little")
    lying = explode("a.zip", honest.replace(declared, (100).to_bytes(4, "little")), bounded)
    assert (reasons(lying), lying.images) == (["corrupt_archive"], [])

    bare = article_xml("PMC4").encode() + b" " * MiB
    assert reasons(explode("PMC4.xml", bare, bounded, tmp_path)) == ["member_too_large"]


def test_members_per_archive_bound() -> None:
    extra = {f"supp{n}.pdf": b"%PDF-1.4 x" for n in range(10)}
    data = good_package(**extra)  # 1 folder entry + 2 article members + 10 supplements
    out = explode("a.tar.gz", data, settings("max_members=5"))
    assert reasons(out) == ["too_many_members"]
    assert len(out.articles) == 1  # the entries before the bound were read
    assert reasons(explode("a.tar.gz", data, settings("max_members=13"))) == []


def test_image_pixel_bound() -> None:
    data = good_package()  # gr1.jpg is 64 x 48 = 3072 pixels
    out = explode("a.tar.gz", data, settings("max_image_pixels=3071"))
    assert (reasons(out), out.images) == (["image_too_large"], [])
    assert [f["image_sha256"] for f in out.figures] == [None]
    assert len(explode("a.tar.gz", data, settings("max_image_pixels=3072")).images) == 1


def test_xml_size_bound() -> None:
    xml = article_xml("PMC1").encode()
    data = good_package()
    out = explode("a.tar.gz", data, settings(f"max_xml_bytes={len(xml) - 1}"))
    assert (reasons(out), out.articles) == (["xml_too_large"], [])
    assert len(explode("a.tar.gz", data, settings(f"max_xml_bytes={len(xml)}")).articles) == 1


def test_plain_gzip_framing_of_the_bomb_is_valid() -> None:
    """The bomb generator writes a real gzip stream (trailer and all), so the guards, not a broken
    stream, are what stop it."""
    bomb = tar_gz_bomb({"a.nxml": b"<article/>"}, "zeros.bin", 4 * MiB)
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(bomb))) as tar:
        assert [(m.name, m.size) for m in tar.getmembers()][-1] == ("zeros.bin", 4 * MiB)


@pytest.mark.parametrize("streamed", [False, True], ids=["in-tar", "bare-by-path"])
def test_xml_above_the_size_bound_is_never_read_into_memory(streamed: bool, tmp_path: Path) -> None:
    huge = article_xml("PMC8").encode().replace(b"<body>", b"<body>" + b" " * (48 * MiB))
    bounded = settings(f"max_xml_bytes={MiB}")
    name, data = ("PMC8.xml", huge) if streamed else ("a.tar.gz", good_package(**{"huge.nxml": huge}))
    del huge
    tracemalloc.start()
    try:
        out = explode(name, data, bounded, tmp_path if streamed else None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * MiB  # the 48 MiB member was skipped, not buffered (hashing reads 8 MiB blocks)
    expected_member = "PMC8.xml" if streamed else "PMC1/huge.nxml"
    assert [(q["reason_code"], q["member_path"]) for q in out.quarantine] == [
        ("xml_too_large", expected_member)
    ]
    assert [a["article_key"] for a in out.articles] == ([] if streamed else ["PMC1"])
