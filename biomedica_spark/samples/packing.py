"""Byte-reproducible archives and blobs: fixed timestamps and owners, sorted members, no wall clock."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
APPLE_DOUBLE_HEADER = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "


def tar_bytes(
    members: dict[str, bytes],
    *,
    compress: bool,
    level: int = 6,
    extra: list[tuple[tarfile.TarInfo, bytes]] | None = None,
) -> bytes:
    """A tar (gzip-compressed when `compress`) with a directory entry for every folder, PMC style.

    `extra` members are appended as given, without folder entries (hostile names and links).
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for folder in sorted({p.rsplit("/", i)[0] for p in members for i in range(1, p.count("/") + 1)}):
            tar.addfile(_info(folder + "/", tarfile.DIRTYPE, 0o775))
        for name in sorted(members):
            data = members[name]
            info = _info(name, tarfile.REGTYPE, 0o664)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra or []:
            tar.addfile(info, io.BytesIO(data) if data else None)
    if not compress:
        return raw.getvalue()
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=level) as stream:
        stream.write(raw.getvalue())
    return out.getvalue()


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid, info.gid, info.uname, info.gname = 1000, 1000, "pmc", "pmcdev"
    return info


def link_member(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    info = _info(name, tarfile.SYMTYPE, 0o777)
    info.linkname = target
    return info, b""


def raw_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = _info(name, tarfile.REGTYPE, 0o664)
    info.size = len(data)
    return info, data


def zip_bytes(members: dict[str, bytes], level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever platform writes it
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name], compresslevel=level)
    return out.getvalue()


def pdf_blob(rng: random.Random, size: int) -> bytes:
    """A PDF-shaped blob of incompressible bytes: sizes a package like the real one, never parsed."""
    header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    trailer = b"\n%%EOF\n"
    return header + rng.randbytes(max(0, size - len(header) - len(trailer))) + trailer


def office_blob(rng: random.Random, size: int) -> bytes:
    """A .docx/.xlsx stand-in: a real zip with a content-types part and an incompressible payload."""
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/content-types"/>',
            "word/media/payload.bin": rng.randbytes(size),
        }
    )


def apple_double(rng: random.Random) -> bytes:
    """The `__MACOSX/._name` resource fork macOS adds to zips: binary, ends in .xml, never an article."""
    return APPLE_DOUBLE_HEADER + rng.randbytes(150)
