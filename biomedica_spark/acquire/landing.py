"""Writing into the landing zone: verified bytes only, under a `_`-prefixed temporary folder first, then
renamed into place (Spark's listing skips `_` names, so `extract` never sees a half-written archive).

Cloud versions are packed into one `PMC<id>.<ver>.tar.gz` per version holding `PMC<id>.<ver>/` with the
XML, the JSON and the figure media: the layout `extract` reads like a legacy package (it finds the JSON
with `archives.layout.find_cloud_metadata`). Legacy packages land byte-identical to the mirror.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Sequence

TMP_FOLDER = "_tmp_acquire"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_matches(data: bytes, expected: str | None) -> bool:
    """True when there is nothing to check against, or the bytes match."""
    return expected is None or md5_hex(data) == expected.lower()


def cloud_archive_path(pmcid: str, version: int) -> str:
    """`pmc_cloud/<last 3 digits>/PMC<id>.<ver>.tar.gz`: 1,000 folders keep listings of 8M files sane."""
    digits = pmcid.upper().removeprefix("PMC")
    return f"pmc_cloud/{digits[-3:].rjust(3, '0')}/{pmcid}.{version}.tar.gz"


def legacy_archive_path(package_path: str) -> str:
    return posixpath.join("legacy", package_path.lstrip("/"))


def pack_cloud_version(version_id: str, files: Sequence[tuple[str, bytes]]) -> bytes:
    """A deterministic tar.gz (fixed mtimes and owners) of `version_id/<name>` members: the same files
    give the same bytes, so re-fetching unchanged content does not look like a change to `extract`."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, data in sorted(files):
            info = tarfile.TarInfo(f"{version_id}/{posixpath.basename(name)}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def package_problem(path: str, data: bytes) -> str | None:
    """Why a legacy package is unusable (truncated or corrupt), read through once; None when it is whole.
    The file list carries no checksum, so the gzip CRC and the archive structure are the check."""
    try:
        if path.lower().endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                bad = archive.testzip()
                return f"bad CRC in member {bad}" if bad else None
        if data[:2] == b"\x1f\x8b":  # inflate whole first: tarfile stops before the gzip CRC trailer
            data = gzip.decompress(data)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                if member.isfile():
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        while extracted.read(1 << 20):
                            pass
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


class LandingWriter:
    """Atomic writes under `root` through fsspec (local folders, Volumes, object stores)."""

    def __init__(self, root: str, run_id: str) -> None:
        import fsspec

        self.fs, self.root = fsspec.core.url_to_fs(root)
        self.tmp = posixpath.join(self.root, TMP_FOLDER, run_id)

    def write(self, relative_path: str, data: bytes) -> str:
        """Write to the run's temporary folder, then rename into place; returns the final path."""
        final = posixpath.join(self.root, relative_path)
        staged = posixpath.join(self.tmp, relative_path)
        self.fs.makedirs(posixpath.dirname(staged), exist_ok=True)
        self.fs.pipe_file(staged, data)
        self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
        self.fs.mv(staged, final)
        return final

    def clean(self) -> None:
        """Remove this run's temporary folder (and the parent when no other run uses it)."""
        if self.fs.exists(self.tmp):
            self.fs.rm(self.tmp, recursive=True)
        parent = posixpath.dirname(self.tmp)
        if self.fs.exists(parent) and not self.fs.ls(parent):
            self.fs.rm(parent, recursive=True)
