"""Landing writes: MD5 checks, deterministic cloud archives extract can read, atomic placement."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from biomedica_spark.acquire.landing import (
    TMP_FOLDER,
    LandingWriter,
    cloud_archive_path,
    md5_hex,
    md5_matches,
    pack_cloud_version,
    package_problem,
)
from biomedica_spark.archives.layout import find_cloud_metadata
from biomedica_spark.archives.reader import MemberInfo


def test_md5() -> None:
    assert md5_hex(b"abc") == "900150983cd24fb0d6963f7d28e17f72"
    assert md5_matches(b"abc", "900150983CD24FB0D6963F7D28E17F72")
    assert not md5_matches(b"abd", "900150983cd24fb0d6963f7d28e17f72")
    assert md5_matches(b"anything", None)


def test_cloud_archive_is_deterministic_and_laid_out_for_extract() -> None:
    files = [("PMC7.2.xml", b"<article/>"), ("PMC7.2.json", b"{}"), ("f1.jpg", b"\xff\xd8")]
    packed = pack_cloud_version("PMC7.2", files)
    assert packed == pack_cloud_version("PMC7.2", list(reversed(files)))
    with tarfile.open(fileobj=io.BytesIO(packed)) as tar:
        names = tar.getnames()
        assert all(m.mtime == 0 for m in tar.getmembers())
    assert names == ["PMC7.2/PMC7.2.json", "PMC7.2/PMC7.2.xml", "PMC7.2/f1.jpg"]
    members = [MemberInfo(path=n, size=1) for n in names]
    assert find_cloud_metadata(members) == {"PMC7.2": "PMC7.2/PMC7.2.json"}
    assert cloud_archive_path("PMC7", 2) == "pmc_cloud/007/PMC7.2.tar.gz"


def test_package_problems_are_found_by_reading_through() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = bytes(range(256)) * 400
        info = tarfile.TarInfo("PMC1/a.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    whole = buffer.getvalue()
    assert package_problem("PMC1.tar.gz", whole) is None
    assert package_problem("PMC1.tar.gz", whole[: len(whole) // 2]) is not None
    corrupt = bytearray(whole)
    corrupt[len(corrupt) // 2] ^= 0xFF
    assert package_problem("PMC1.tar.gz", bytes(corrupt)) is not None
    assert package_problem("PMC1.zip", gzip.compress(b"x")) is not None


def test_writes_land_whole_and_leave_no_temporary_folder(tmp_path: Path) -> None:
    writer = LandingWriter(str(tmp_path), "run-1")
    final = writer.write("pmc_cloud/007/PMC7.2.tar.gz", b"bytes")
    assert Path(final).read_bytes() == b"bytes"
    assert (tmp_path / TMP_FOLDER).exists()  # Spark's listing skips `_` names
    writer.clean()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "pmc_cloud",
        "pmc_cloud/007",
        "pmc_cloud/007/PMC7.2.tar.gz",
    ]


def test_cleaning_without_writes_touches_nothing(tmp_path: Path) -> None:
    LandingWriter(str(tmp_path), "run-2").clean()
    assert list(tmp_path.iterdir()) == []
