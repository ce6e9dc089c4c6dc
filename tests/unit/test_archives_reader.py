"""read_archive on hostile and broken archives built in memory: it never raises, never follows or keeps
what is unsafe, stops bombs by counting inflated bytes, and salvages what precedes a corruption."""

from __future__ import annotations

import gzip
import io
import random
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from biomedica_spark.archives.reader import (
    ArchiveContents,
    ArchiveLimits,
    MemberInfo,
    normalise_member_path,
    read_archive,
)
from biomedica_spark.quarantine import Reason, Stage

MiB = 1 << 20
XML = b'<?xml version="1.0"?><article><front/></article>'


def keep_all(path: str, size: int) -> bool:
    return True


def tar_entry(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def make_tar(*entries: tuple, mode: str = "w:gz", tar_format: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, format=tar_format) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def make_zip(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def reasons(contents: ArchiveContents) -> list[Reason]:
    return [item.reason for item in contents.quarantine]


def paths(contents: ArchiveContents) -> list[str]:
    return [member.path for member in contents.members]


# --- formats ---------------------------------------------------------------------------------------


def test_tar_gz_lists_every_regular_file_in_order_and_keeps_only_what_keep_accepts() -> None:
    archive = make_tar(
        tar_entry("PMC1", kind=tarfile.DIRTYPE),
        tar_entry("PMC1/main.nxml", XML),
        tar_entry("PMC1/gr1_lrg.jpg", b"\xff\xd8jpeg"),
        tar_entry("PMC1/gr1_lrg.gif", b"GIF89a"),
    )
    asked: list[tuple[str, int]] = []

    def keep_xml(path: str, size: int) -> bool:
        asked.append((path, size))
        return path.endswith(".nxml")

    contents = read_archive(archive, "PMC1.tar.gz", keep_xml)
    assert contents.kind == "tar.gz"
    assert contents.members == [
        MemberInfo("PMC1/main.nxml", len(XML)),
        MemberInfo("PMC1/gr1_lrg.jpg", 6),
        MemberInfo("PMC1/gr1_lrg.gif", 6),
    ]
    assert asked == [(m.path, m.size) for m in contents.members]
    assert contents.data == {"PMC1/main.nxml": XML}
    assert contents.quarantine == []


def test_format_comes_from_magic_bytes_not_the_name() -> None:
    plain_tar = make_tar(tar_entry("a.nxml", XML), mode="w")
    contents = read_archive(plain_tar, "PMC1.tar.gz", keep_all)
    assert (contents.kind, contents.data) == ("tar", {"a.nxml": XML})
    zipped = read_archive(make_zip(("a.nxml", XML)), "PMC1.tar.gz", keep_all)
    assert (zipped.kind, zipped.data) == ("zip", {"a.nxml": XML})


def test_leading_dot_slash_names_are_normalised() -> None:
    contents = read_archive(make_tar(tar_entry("./PMC1/./main.nxml", XML)), "a.tar.gz", keep_all)
    assert contents.data == {"PMC1/main.nxml": XML}


def test_bare_xml_is_a_one_member_archive() -> None:
    contents = read_archive(XML, "s3://bucket/oa/PMC123.1.xml", keep_all)
    assert contents.kind == "xml"
    assert contents.members == [MemberInfo("PMC123.1.xml", len(XML))]
    assert contents.data == {"PMC123.1.xml": XML}
    not_kept = read_archive(XML, "PMC1.nxml", lambda path, size: False)
    assert (not_kept.members, not_kept.data) == ([MemberInfo("PMC1.nxml", len(XML))], {})


def test_long_and_non_ascii_names_in_pax_and_gnu_formats() -> None:
    long_name = "PMC1/" + "x" * 150 + "/figure-ümlaut.jpg"
    for tar_format in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        archive = make_tar(tar_entry(long_name, b"data"), tar_format=tar_format)
        assert read_archive(archive, "a.tar.gz", keep_all).data == {long_name: b"data"}


def test_latin1_tar_name_is_decoded_without_surrogates() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT, encoding="latin-1") as tar:
        info = tarfile.TarInfo("figure-é.jpg")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    assert paths(read_archive(buffer.getvalue(), "a.tar", keep_all)) == ["figure-é.jpg"]


def test_concatenated_gzip_members_and_trailing_zero_padding_are_read() -> None:
    tar = make_tar(tar_entry("a.nxml", XML), tar_entry("b.jpg", b"jpg"), mode="w")
    split = len(tar) // 2
    archive = gzip.compress(tar[:split]) + gzip.compress(tar[split:]) + bytes(1024)
    contents = read_archive(archive, "a.tar.gz", keep_all)
    assert contents.data == {"a.nxml": XML, "b.jpg": b"jpg"}
    assert contents.quarantine == []


def test_reading_by_path_equals_reading_bytes(tmp_path: Path) -> None:
    archives = {
        "a.tar.gz": make_tar(tar_entry("a.nxml", XML), tar_entry("../x", b"x"), tar_entry("b.jpg", b"j")),
        "a.tar": make_tar(tar_entry("a.nxml", XML), mode="w"),
        "a.zip": make_zip(("a.nxml", XML), ("__MACOSX/._a.nxml", b"")),
        "a.xml": XML,
        "cut.tar.gz": make_tar(tar_entry("a.bin", random.Random(1).randbytes(100_000)))[:5000],
        "empty.tar.gz": b"",
    }
    for name, data in archives.items():
        (tmp_path / name).write_bytes(data)
        assert read_archive(str(tmp_path / name), name, keep_all) == read_archive(data, name, keep_all), name


def test_bytearray_content_is_read_like_bytes() -> None:
    archive = make_tar(tar_entry("a.nxml", XML))
    from_bytearray = read_archive(bytearray(archive), "a.tar.gz", keep_all)
    assert from_bytearray == read_archive(archive, "a.tar.gz", keep_all)


def test_tar_without_end_of_archive_blocks_is_accepted() -> None:
    member = tar_entry("a.nxml", XML)
    unterminated = member[0].tobuf(tarfile.PAX_FORMAT) + XML + bytes(-len(XML) % tarfile.BLOCKSIZE)
    contents = read_archive(unterminated, "a.tar", keep_all)
    assert (contents.data, contents.quarantine) == ({"a.nxml": XML}, [])


def test_an_error_raised_by_keep_propagates() -> None:
    def broken_keep(path: str, size: int) -> bool:
        raise ValueError("bug in keep")

    for archive in (make_tar(tar_entry("a.nxml", XML)), make_zip(("a.nxml", XML))):
        with pytest.raises(ValueError, match="bug in keep"):
            read_archive(archive, "a", broken_keep)


def test_a_missing_path_raises_instead_of_being_quarantined(tmp_path: Path) -> None:
    # A filesystem failure says nothing about the archive: Spark should retry the task, not record it.
    with pytest.raises(FileNotFoundError):
        read_archive(str(tmp_path / "absent.tar.gz"), "absent.tar.gz", keep_all)


# --- unsafe members ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "PMC1/../../escape.xml", "/etc/passwd", "..\\..\\evil.xml", "C:/evil.xml", "C:evil"],
)
def test_unsafe_member_names_are_quarantined_and_skipped(name: str) -> None:
    archive = make_tar(tar_entry(name, b"evil"), tar_entry("PMC1/main.nxml", XML))
    contents = read_archive(archive, "a.tar.gz", keep_all)
    assert contents.data == {"PMC1/main.nxml": XML}
    assert paths(contents) == ["PMC1/main.nxml"]
    assert reasons(contents) == [Reason.UNSAFE_MEMBER_PATH]
    assert contents.quarantine[0].stage == Stage.MEMBER


def test_nul_byte_in_a_pax_name_is_unsafe_and_reported_printable() -> None:
    info = tarfile.TarInfo("placeholder")
    info.pax_headers = {"path": "evil\x00.xml"}
    info.size = 1
    contents = read_archive(make_tar((info, b"x")), "a.tar.gz", keep_all)
    assert (contents.members, reasons(contents)) == ([], [Reason.UNSAFE_MEMBER_PATH])
    assert "\x00" not in (contents.quarantine[0].member_path or "")


def test_links_are_quarantined_never_followed() -> None:
    archive = make_tar(
        tar_entry("PMC1/gr1.jpg", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        tar_entry("PMC1/gr2.jpg", kind=tarfile.LNKTYPE, link="../../etc/shadow"),
        tar_entry("PMC1/main.nxml", XML),
    )
    contents = read_archive(archive, "a.tar.gz", keep_all)
    assert contents.data == {"PMC1/main.nxml": XML}
    assert reasons(contents) == [Reason.LINK_MEMBER, Reason.LINK_MEMBER]
    assert [item.member_path for item in contents.quarantine] == ["PMC1/gr1.jpg", "PMC1/gr2.jpg"]


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_are_special_members(kind: bytes) -> None:
    archive = make_tar(tar_entry("dev/zero", kind=kind), tar_entry("a.nxml", XML))
    contents = read_archive(archive, "a.tar.gz", keep_all)
    assert (paths(contents), reasons(contents)) == (["a.nxml"], [Reason.SPECIAL_MEMBER])


def test_duplicate_names_keep_the_first() -> None:
    archive = make_tar(tar_entry("a.nxml", b"first"), tar_entry("./a.nxml", b"second"))
    contents = read_archive(archive, "a.tar.gz", keep_all)
    assert contents.data == {"a.nxml": b"first"}
    assert paths(contents) == ["a.nxml"]
    assert reasons(contents) == [Reason.DUPLICATE_MEMBER]


def test_macosx_forks_and_dot_files_are_ignored_silently() -> None:
    names = ["__MACOSX/PMC1/._main.nxml", ".DS_Store", "PMC1/.hidden/x.jpg", "PMC1/main.nxml"]
    for archive in (make_tar(*(tar_entry(n, XML) for n in names)), make_zip(*((n, XML) for n in names))):
        contents = read_archive(archive, "a", keep_all)
        assert (paths(contents), contents.quarantine) == (["PMC1/main.nxml"], [])


def test_zip_traversal_absolute_and_symlink_entries_are_quarantined() -> None:
    symlink = zipfile.ZipInfo("PMC1/gr1.jpg")
    symlink.external_attr = (stat.S_IFLNK | 0o777) << 16
    fifo = zipfile.ZipInfo("PMC1/pipe")
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    archive = make_zip(
        ("../../evil.xml", b"evil"),
        ("/abs.xml", b"evil"),
        (symlink, b"/etc/passwd"),
        (fifo, b""),
        ("PMC1/main.nxml", XML),
    )
    contents = read_archive(archive, "a.zip", keep_all)
    assert contents.data == {"PMC1/main.nxml": XML}
    assert reasons(contents) == [
        Reason.UNSAFE_MEMBER_PATH,
        Reason.UNSAFE_MEMBER_PATH,
        Reason.LINK_MEMBER,
        Reason.SPECIAL_MEMBER,
    ]


def test_zip_duplicate_names_keep_the_first() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("a.nxml", b"first")
        archive.writestr("a.nxml", b"second")
    contents = read_archive(buffer.getvalue(), "a.zip", keep_all)
    assert (contents.data, reasons(contents)) == ({"a.nxml": b"first"}, [Reason.DUPLICATE_MEMBER])


# --- limits and bombs ------------------------------------------------------------------------------


def tar_gz_bomb(inflated_size: int, before: tuple[str, bytes]) -> bytes:
    """A tar.gz whose second member is `inflated_size` zeros, streamed through gzip in 1 MiB chunks."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
    first, first_data = tar_entry(*before)
    padding = bytes(-len(first_data) % tarfile.BLOCKSIZE)
    parts = [compressor.compress(first.tobuf(tarfile.PAX_FORMAT) + first_data + padding)]
    header = tarfile.TarInfo("PMC1/bomb.jpg")
    header.size = inflated_size
    parts.append(compressor.compress(header.tobuf(tarfile.PAX_FORMAT)))
    zeros = bytes(MiB)
    for _ in range(inflated_size // MiB):
        parts.append(compressor.compress(zeros))
    parts.append(compressor.compress(bytes(2 * tarfile.BLOCKSIZE)))
    parts.append(compressor.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def gigabyte_bomb() -> bytes:
    bomb = tar_gz_bomb(1 << 30, ("PMC1/main.nxml", XML))
    assert len(bomb) < 2 * MiB
    return bomb


def test_gzip_bomb_is_stopped_by_low_limits(gigabyte_bomb: bytes) -> None:
    limits = ArchiveLimits(max_member_bytes=10 * MiB, max_total_inflated_bytes=32 * MiB)
    started = time.perf_counter()
    contents = read_archive(gigabyte_bomb, "bomb.tar.gz", keep_all, limits)
    assert time.perf_counter() - started < 2
    assert contents.data == {"PMC1/main.nxml": XML}  # what came before the bomb is kept
    assert reasons(contents) == [Reason.MEMBER_TOO_LARGE, Reason.ARCHIVE_TOO_LARGE]
    assert [item.stage for item in contents.quarantine] == [Stage.MEMBER, Stage.ARCHIVE]


def test_gzip_bomb_is_stopped_by_the_default_compression_ratio(gigabyte_bomb: bytes) -> None:
    started = time.perf_counter()
    contents = read_archive(gigabyte_bomb, "bomb.tar.gz", keep_all)
    assert time.perf_counter() - started < 2
    assert contents.data == {"PMC1/main.nxml": XML}
    assert reasons(contents) == [Reason.COMPRESSION_RATIO]
    assert contents.quarantine[0].member_path == "PMC1/bomb.jpg"


def test_small_highly_compressible_members_pass_the_ratio_check() -> None:
    archive = make_tar(tar_entry("a.nxml", b"<article>" + b" " * (8 * MiB) + b"</article>"))
    assert len(archive) < 100_000
    assert read_archive(archive, "a.tar.gz", keep_all).quarantine == []


def test_zip_bomb_is_stopped_by_the_default_compression_ratio() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.nxml", XML)
        with archive.open("bomb.jpg", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(bytes(MiB))
    contents = read_archive(buffer.getvalue(), "bomb.zip", keep_all)
    assert contents.data == {"a.nxml": XML}
    assert reasons(contents) == [Reason.COMPRESSION_RATIO]


def test_zip_member_declared_too_large_is_skipped_unread() -> None:
    archive = make_zip(("big.tif", bytes(2 * MiB)), ("a.nxml", XML))
    contents = read_archive(archive, "a.zip", keep_all, ArchiveLimits(max_member_bytes=MiB))
    assert (contents.data, reasons(contents)) == ({"a.nxml": XML}, [Reason.MEMBER_TOO_LARGE])


def test_zip_member_lying_about_its_size_yields_no_data() -> None:
    archive = bytearray(make_zip(("liar.jpg", bytes(10 * MiB)), ("a.nxml", XML)))
    struct.pack_into("<I", archive, 22, 100)  # uncompressed size in the local header...
    central = archive.index(b"PK\x01\x02")
    struct.pack_into("<I", archive, central + 24, 100)  # ...and in the central directory
    contents = read_archive(bytes(archive), "a.zip", keep_all)
    assert contents.data == {"a.nxml": XML}
    assert reasons(contents) == [Reason.CORRUPT_ARCHIVE]
    assert contents.quarantine[0].stage == Stage.MEMBER


def test_too_many_members_stops_after_the_limit() -> None:
    archive = make_tar(*(tar_entry(f"m{i}.xml", XML) for i in range(5)))
    contents = read_archive(archive, "a.tar.gz", keep_all, ArchiveLimits(max_members=3))
    assert paths(contents) == ["m0.xml", "m1.xml", "m2.xml"]
    assert reasons(contents) == [Reason.TOO_MANY_MEMBERS]


def test_archive_above_the_size_limit_is_not_read() -> None:
    archive = make_tar(tar_entry("a.nxml", XML))
    contents = read_archive(archive, "a.tar.gz", keep_all, ArchiveLimits(max_archive_bytes=100))
    assert (contents.members, reasons(contents)) == ([], [Reason.ARCHIVE_TOO_LARGE])


# --- corruption ----------------------------------------------------------------------------------


def three_random_members() -> list[tuple]:
    rnd = random.Random(7)
    return [tar_entry(f"PMC1/f{i}.jpg", rnd.randbytes(100_000)) for i in range(3)]


def test_truncated_gzip_salvages_the_members_before_the_cut() -> None:
    archive = make_tar(*three_random_members())
    contents = read_archive(archive[: int(len(archive) * 0.8)], "a.tar.gz", keep_all)
    assert paths(contents) == ["PMC1/f0.jpg", "PMC1/f1.jpg"]
    assert set(contents.data) == {"PMC1/f0.jpg", "PMC1/f1.jpg"}
    assert reasons(contents) == [Reason.CORRUPT_ARCHIVE]
    assert contents.quarantine[0].stage == Stage.ARCHIVE
    assert contents.quarantine[0].member_path == "PMC1/f2.jpg"


def test_truncated_plain_tar_salvages_the_members_before_the_cut() -> None:
    archive = make_tar(*three_random_members(), mode="w")
    contents = read_archive(archive[:250_000], "a.tar", keep_all)
    assert paths(contents) == ["PMC1/f0.jpg", "PMC1/f1.jpg"]
    assert reasons(contents) == [Reason.CORRUPT_ARCHIVE]


def test_corrupt_header_in_the_middle_of_a_tar_is_reported() -> None:
    archive = bytearray(make_tar(*three_random_members(), mode="w", tar_format=tarfile.USTAR_FORMAT))
    second_header = 512 + 100_352  # first header + first member padded to whole blocks
    archive[second_header : second_header + 10] = b"garbage!!!"
    contents = read_archive(bytes(archive), "a.tar", keep_all)
    assert paths(contents) == ["PMC1/f0.jpg"]
    assert reasons(contents) == [Reason.CORRUPT_ARCHIVE]


def test_gzip_crc_mismatch_is_corrupt() -> None:
    archive = bytearray(make_tar(tar_entry("a.nxml", XML)))
    archive[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    assert Reason.CORRUPT_ARCHIVE in reasons(read_archive(bytes(archive), "a.tar.gz", keep_all))


def test_corrupt_zip_member_is_quarantined_and_the_others_read() -> None:
    archive = bytearray(make_zip(("bad.jpg", random.Random(3).randbytes(50_000)), ("a.nxml", XML)))
    archive[1000] ^= 0xFF  # inside bad.jpg's compressed data
    contents = read_archive(bytes(archive), "a.zip", keep_all)
    assert contents.data == {"a.nxml": XML}
    assert [(i.reason, i.stage, i.member_path) for i in contents.quarantine] == [
        (Reason.CORRUPT_ARCHIVE, Stage.MEMBER, "bad.jpg")
    ]


def test_encrypted_zip_member_is_unsupported() -> None:
    archive = bytearray(make_zip(("secret.jpg", b"x" * 100), ("a.nxml", XML)))
    archive[6] |= 0x1  # general-purpose flag "encrypted", local header...
    central = archive.index(b"PK\x01\x02")
    archive[central + 8] |= 0x1  # ...and central directory
    contents = read_archive(bytes(archive), "a.zip", keep_all)
    assert contents.data == {"a.nxml": XML}
    assert reasons(contents) == [Reason.UNSUPPORTED_ARCHIVE]


def test_zip_without_central_directory_is_corrupt() -> None:
    archive = make_zip(("a.nxml", XML))
    contents = read_archive(archive[: len(archive) // 2], "a.zip", keep_all)
    assert (contents.kind, reasons(contents)) == ("zip", [Reason.CORRUPT_ARCHIVE])


def test_empty_file() -> None:
    contents = read_archive(b"", "PMC1.tar.gz", keep_all)
    assert (contents.kind, contents.members, reasons(contents)) == ("unknown", [], [Reason.EMPTY_FILE])


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (random.Random(5).randbytes(4096), "PMC1.tar.gz"),
        (b"<html>404 Not Found</html>", "PMC1.tar.gz"),
        (gzip.compress(XML, mtime=0), "PMC1.tar.gz"),  # gzip holding no tar
    ],
    ids=["random-bytes", "html-page", "gzip-without-tar"],  # one id in every pytest-xdist worker
)
def test_unknown_formats_are_unsupported(data: bytes, name: str) -> None:
    contents = read_archive(data, name, keep_all)
    assert (contents.kind, contents.members, reasons(contents)) == (
        "unknown",
        [],
        [Reason.UNSUPPORTED_ARCHIVE],
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(["tar.gz", "tar", "zip"]),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.integers(1, 255)), max_size=4),
)
def test_damaged_archives_never_raise(base: str, cut: int, flips: list[tuple[int, int]]) -> None:
    entries = [("PMC1/main.nxml", XML * 20), ("PMC1/gr1.jpg", bytes(range(256)) * 4)]
    if base == "zip":
        data = bytearray(make_zip(*entries))
    else:
        mode = "w:gz" if base == "tar.gz" else "w"
        data = bytearray(make_tar(*(tar_entry(*entry) for entry in entries), mode=mode))
    for position, mask in flips:
        if position < len(data):
            data[position] ^= mask
    contents = read_archive(bytes(data[: len(data) - cut]), f"a.{base}", keep_all)
    assert isinstance(contents, ArchiveContents)
    assert set(contents.data) <= set(paths(contents))


def test_normalise_member_path() -> None:
    assert normalise_member_path("./a//b/./c.xml") == "a/b/c.xml"
    assert normalise_member_path("a/../b") is None
    assert normalise_member_path("a\\b") is None
    assert normalise_member_path("") == ""
