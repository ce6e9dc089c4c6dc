"""Memory: a landing zone holding one ~1.5 GB archive among small ones completes on local[2] with the
default memory settings, because the large archive is streamed by path inside the worker and never
held whole (not in the JVM, not in Python)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from hostile.corpus import article_xml, jpeg

from slow.test_extract_process import _job, _table_rows

pytestmark = [pytest.mark.slow, pytest.mark.delta]

LARGE_BYTES = 1536 * 1024 * 1024
SUPPLEMENTS = 6  # 256 MiB each: a bulk package's worth of PDFs and videos


class _IncompressibleStream(io.RawIOBase):
    """`size` bytes cycling through 8 MiB of random data: written at disk speed, never held whole."""

    _block = os.urandom(8 * 1024 * 1024)

    def __init__(self, size: int) -> None:
        self._left = size
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        step = min(len(buffer), self._left, len(self._block) - self._offset)
        buffer[:step] = self._block[self._offset : self._offset + step]
        self._offset = (self._offset + step) % len(self._block)
        self._left -= step
        return step


def write_large_archive(path: Path, pmcid: str = "PMC770001") -> None:
    """A plain tar: one article with two figures, then SUPPLEMENTS large incompressible members."""
    with tarfile.open(path, "w") as tar:
        small = {
            f"{pmcid}/main.nxml": article_xml(pmcid, hrefs=("gr1", "gr2")).encode(),
            f"{pmcid}/gr1.jpg": jpeg(1),
            f"{pmcid}/gr2.jpg": jpeg(2),
        }
        for name, data in small.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for n in range(SUPPLEMENTS):
            info = tarfile.TarInfo(f"{pmcid}/supplement{n}.pdf")
            info.size = LARGE_BYTES // SUPPLEMENTS
            tar.addfile(info, _IncompressibleStream(info.size))


def test_one_large_archive_among_small_ones_completes_with_default_memory(tmp_path: Path) -> None:
    from biomedica_spark.samples.generator import generate_corpus

    landing = tmp_path / "landing"
    generate_corpus(landing, profile="small", archives=20, seed=3)
    small_files = [p for p in landing.rglob("*") if p.is_file()]
    large = landing / "PMC770001.tar"
    write_large_archive(large)
    size = large.stat().st_size
    try:
        assert size > LARGE_BYTES
        lake = tmp_path / "lake"
        process = _job([f"landing.root={landing}", f"lake.root={lake}", "spark.master='local[2]'"])
        out, _ = process.communicate(timeout=1800)
        assert process.returncode == 0, out[-4000:]
    finally:
        large.unlink()

    # _table_rows gives each row as sorted (column, repr(value)) pairs.
    figures = [dict(row) for row in _table_rows(lake, "figures")]
    large_figures = [f for f in figures if f["article_key"] == repr("PMC770001")]
    assert len(large_figures) == 2 and all(f["image_sha256"] != repr(None) for f in large_figures)
    sources = [dict(row) for row in _table_rows(lake, "sources")]
    [large_source] = [s for s in sources if s["source_path"].endswith("PMC770001.tar'")]
    assert (large_source["status"], large_source["size"]) == (repr("ok"), repr(size))
    assert len(sources) == len(small_files) + 1
