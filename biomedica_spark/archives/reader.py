"""Safe, streaming reading of article archives (tar, tar.gz, zip, bare XML) into members and bytes.

Nothing is ever written to disk and no member name is ever used as a filesystem path. Archives are read
as streams in one pass (zip by seeking in its central directory), each entry is classified (unsafe
name, link, device, duplicate, too large) and problems come back as QuarantineItems, never exceptions.
Bombs are stopped by counting inflated bytes as they are produced, never by trusting declared sizes.

Tar is parsed here (headers through `tarfile.TarInfo.frombuf`) rather than by `tarfile.open`: that gives
exact control over reads and skips (one copy per kept byte, none for skipped ones), detects a corrupt
header in the middle of an archive (tarfile silently ends the archive there) and lets every inflated
byte be charged to the limits, skipped members included.
"""

from __future__ import annotations

import io
import lzma
import posixpath
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import fsspec

from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

MiB = 1 << 20
GiB = 1 << 30

ArchiveKind = Literal["tar", "tar.gz", "zip", "xml", "unknown"]
KeepMember = Callable[[str, int], bool]  # (member path, size) -> store its bytes?


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that stop hostile or broken archives; the defaults admit the largest legitimate PMC packages."""

    max_archive_bytes: int = 8 * GiB  # compressed size: PMC bulk XML packages are several GB
    max_members: int = 200_000  # entries of any type
    max_member_bytes: int = 2 * GiB  # inflated size of one member
    max_total_inflated_bytes: int = 64 * GiB
    max_compression_ratio: float = 200.0  # inflated / compressed bytes over the whole archive...
    compression_ratio_floor_bytes: int = 64 * MiB  # ...checked past this much, so small dense XML passes


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class MemberInfo:
    path: str  # normalised posix path, as in the archive ("PMC123/gr1_lrg.jpg")
    size: int  # inflated size in bytes
    kind: Literal["file"] = "file"


@dataclass
class ArchiveContents:
    kind: ArchiveKind
    members: list[MemberInfo] = field(default_factory=list)  # every safe regular file, in archive order
    data: dict[str, bytes] = field(default_factory=dict)  # bytes of the members `keep` accepted
    quarantine: list[QuarantineItem] = field(default_factory=list)


def read_archive(
    source: bytes | bytearray | str, name: str, keep: KeepMember, limits: ArchiveLimits = DEFAULT_LIMITS
) -> ArchiveContents:
    """Read one archive: every safe regular member is listed, members `keep` accepts are returned with bytes.

    `source` is the whole archive in memory, or a path/URL opened with fsspec and streamed. `name` (a file
    name or path) names a bare XML member and lets `*.xml` / `*.nxml` count as a one-member archive; the
    format itself is detected from magic bytes. Never raises for bad input: what cannot be read is in
    `quarantine`, and what was read before a corruption point stays in the result. Errors of the
    filesystem itself (missing file, network) do propagate: they are retryable, not facts about the data.
    """
    if isinstance(source, str):
        opened = fsspec.open(source, "rb")
        size = opened.fs.size(opened.path)
        with opened as fileobj:
            return _read_source(_FileSource(fileobj, size, limits), name, keep, limits)
    return _read_source(_BytesSource(source), name, keep, limits)


def normalise_member_path(raw: str) -> str | None:
    """Posix path of an archive member with `.` and empty components dropped; None when the name is unsafe.

    Unsafe: NUL bytes, backslashes, absolute paths, drive letters and any `..` component.
    """
    if "\x00" in raw or "\\" in raw or raw.startswith("/") or _DRIVE_PREFIX.match(raw):
        return None
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    path = "/".join(parts)
    # Checked again once `./` is gone: "./C:/x" must not normalise to a drive path.
    return None if _DRIVE_PREFIX.match(path) else path


def is_ignored_member(path: str) -> bool:
    """macOS resource forks and dot-files carry no article content: skipped without a quarantine row."""
    return any(part.startswith(".") or part == "__MACOSX" for part in path.split("/"))


_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
_XML_SUFFIXES = (".xml", ".nxml")
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; the end record of an empty zip
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip wrapper: zlib checks the CRC and length trailer
_SNIFF_BYTES = 64 * 1024
_READ_CHUNK = 256 * 1024  # raw bytes per read of the source
_INFLATE_CHUNK = 256 * 1024  # bound on one decompress call's output (a bomb chunk inflates ~1000x)
_TAR_BLOCK = tarfile.BLOCKSIZE
_ZERO_BLOCK = bytes(_TAR_BLOCK)
_MAX_TAR_EXTENDED_HEADER = 1 * MiB  # GNU long names and pax records are small; larger means garbage

_TAR_FILE_TYPES = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE})
_TAR_DATALESS_TYPES = frozenset(
    {tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE}
)

# What zipfile, zlib, lzma and bz2 raise on malformed data. OSError is here because bz2 signals bad data
# with it; failures of the filesystem itself are wrapped in _PassThrough first and so are not caught.
_DECODE_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
)


class _ArchiveStop(Exception):
    """Ends reading the archive; everything read before stays in the result."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class _PassThrough(Exception):
    """An error that says nothing about the archive's bytes (the filesystem failed, `keep` raised):
    re-raised unchanged by read_archive, never quarantined."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _SeekableFile(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int: ...

    def tell(self) -> int: ...

    def seekable(self) -> bool: ...


class _Source(Protocol):
    size: int | None
    consumed: int  # raw bytes streamed so far: the denominator of the compression ratio

    def head(self) -> bytes: ...

    def read(self, size: int) -> bytes | memoryview: ...

    def zip_file(self) -> _SeekableFile: ...


class _BytesSource:
    """An archive held in memory: reads are zero-copy views."""

    def __init__(self, data: bytes | bytearray) -> None:
        self._data = data
        self._view = memoryview(data)
        self.size: int | None = len(data)
        self.consumed = 0

    def head(self) -> bytes:
        return bytes(self._view[:_SNIFF_BYTES])

    def read(self, size: int) -> memoryview:
        chunk = self._view[self.consumed : self.consumed + size]
        self.consumed += len(chunk)
        return chunk

    def zip_file(self) -> io.BytesIO:
        return io.BytesIO(self._data)  # shares the bytes object's buffer, no copy


class _GuardedFile:
    """A filesystem file: its OSErrors are wrapped (never quarantined), corrupt zip offsets refused."""

    def __init__(self, fileobj: _SeekableFile) -> None:
        self._file = fileobj

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._file.read(size)
        except OSError as error:
            raise _PassThrough(error) from error

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        if whence == io.SEEK_SET and offset < 0:
            raise ValueError(f"negative seek position {offset}")  # a corrupt zip offset, not an I/O error
        try:
            return self._file.seek(offset, whence)
        except OSError as error:
            raise _PassThrough(error) from error

    def tell(self) -> int:
        try:
            return self._file.tell()
        except OSError as error:
            raise _PassThrough(error) from error

    def seekable(self) -> bool:
        return True


class _FileSource:
    """A file opened by fsspec: streamed forward for tar, seeked for zip."""

    def __init__(self, fileobj: _SeekableFile, size: int | None, limits: ArchiveLimits) -> None:
        self._file = _GuardedFile(fileobj)
        self._max_bytes = limits.max_archive_bytes
        self._unread_head = b""  # served again by read() after head() sniffed it
        self.size = size
        self.consumed = 0

    def head(self) -> bytes:
        self._unread_head = self._file.read(_SNIFF_BYTES)
        return self._unread_head

    def read(self, size: int) -> bytes:
        if self._unread_head:
            chunk, self._unread_head = self._unread_head[:size], self._unread_head[size:]
        else:
            chunk = self._file.read(size)
        self.consumed += len(chunk)
        if self.consumed > self._max_bytes:  # when the filesystem could not tell the size up front
            raise _ArchiveStop(Reason.ARCHIVE_TOO_LARGE, f"archive larger than {self._max_bytes} bytes")
        return chunk

    def zip_file(self) -> _GuardedFile:
        self._unread_head = b""
        self._file.seek(0)
        return self._file


class _InflationBudget:
    """Charges every inflated byte against the total and ratio limits (bombs stop here, mid-stream)."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self._limits = limits
        self.inflated = 0

    def charge(self, inflated_bytes: int, compressed_bytes: int) -> None:
        self.inflated += inflated_bytes
        limits = self._limits
        if self.inflated > limits.max_total_inflated_bytes:
            raise _ArchiveStop(
                Reason.ARCHIVE_TOO_LARGE, f"inflates to more than {limits.max_total_inflated_bytes} bytes"
            )
        if (
            self.inflated > limits.compression_ratio_floor_bytes
            and self.inflated > limits.max_compression_ratio * max(compressed_bytes, 1)
        ):
            raise _ArchiveStop(
                Reason.COMPRESSION_RATIO,
                f"{self.inflated} bytes inflated from {compressed_bytes}: ratio above "
                f"{limits.max_compression_ratio:g}",
            )


class _GzipInflater:
    """Inflates a gzip stream (concatenated members too) in bounded chunks, charging them to the budget."""

    def __init__(self, source: _Source, budget: _InflationBudget) -> None:
        self._source = source
        self._budget = budget
        self._decompressor = zlib.decompressobj(_GZIP_WBITS)
        self._pending_input: bytes | memoryview = b""
        self._finished = False

    def read_chunk(self) -> bytes:
        """Up to _INFLATE_CHUNK inflated bytes; b"" at the end of the stream."""
        while not self._finished:
            if self._decompressor.eof and not self._start_next_member():
                self._finished = True
                break
            decompressor = self._decompressor
            if decompressor.unconsumed_tail:
                data: bytes | memoryview = decompressor.unconsumed_tail
            elif self._pending_input:
                data, self._pending_input = self._pending_input, b""
            else:
                data = self._source.read(_READ_CHUNK)
                if not data:
                    raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, "gzip stream truncated")
            try:
                out = decompressor.decompress(data, _INFLATE_CHUNK)
            except zlib.error as error:
                raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, f"gzip: {error}") from None
            if out:
                self._budget.charge(len(out), self._source.consumed)
                return out
        return b""

    def _start_next_member(self) -> bool:
        rest = self._decompressor.unused_data
        if len(rest) < len(_GZIP_MAGIC):
            rest += self._source.read(_READ_CHUNK)
        if not rest.startswith(_GZIP_MAGIC):
            return False  # end of data, or padding after the last member: ignored, as gzip(1) does
        self._decompressor = zlib.decompressobj(_GZIP_WBITS)
        self._pending_input = rest
        return True


class _ChunkReader:
    """Exact-size reads and skips over a stream of chunks: kept bytes are copied once, skipped ones never."""

    def __init__(self, next_chunk: Callable[[], bytes | memoryview]) -> None:
        self._next_chunk = next_chunk
        self._chunk = memoryview(b"")
        self.offset = 0

    def read(self, size: int) -> bytes:
        parts = []
        needed = size
        while needed and self._fill():
            piece = self._chunk[:needed]
            self._chunk = self._chunk[len(piece) :]
            parts.append(piece)
            needed -= len(piece)
        self.offset += size - needed
        return b"".join(parts)

    def skip(self, size: int) -> int:
        """Skip up to `size` bytes; returns how many were there."""
        needed = size
        while needed and self._fill():
            step = min(needed, len(self._chunk))
            self._chunk = self._chunk[step:]
            needed -= step
        self.offset += size - needed
        return size - needed

    def _fill(self) -> bool:
        if not self._chunk:
            self._chunk = memoryview(self._next_chunk())
        return bool(self._chunk)


class _Collector:
    """Accumulates the result and applies the per-entry rules shared by tar and zip."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self._limits = limits
        self._seen: set[str] = set()
        self._entries = 0
        self.members: list[MemberInfo] = []
        self.data: dict[str, bytes] = {}
        self.quarantine: list[QuarantineItem] = []
        self.current: str | None = None  # member being read, named when the archive stops there

    def note(self, stage: Stage, reason: Reason, detail: str, member_path: str | None = None) -> None:
        self.quarantine.append(QuarantineItem(stage, reason, detail, member_path=member_path))

    def admit(self, raw_name: str, entry_type: str, size: int, link_target: str = "") -> str | None:
        """The normalised path of a regular file to read; None (and maybe a quarantine row) to skip it.

        `entry_type` is "file", "dir", "symlink", "hardlink" or a description of a special member.
        """
        self._entries += 1
        if self._entries > self._limits.max_members:
            raise _ArchiveStop(Reason.TOO_MANY_MEMBERS, f"more than {self._limits.max_members} entries")
        path = normalise_member_path(raw_name)
        shown = _printable(raw_name)
        if path is None:
            self.note(Stage.MEMBER, Reason.UNSAFE_MEMBER_PATH, f"unsafe member name {shown!r}", shown)
            return None
        if not path or entry_type == "dir" or is_ignored_member(path):
            return None
        if entry_type in ("symlink", "hardlink"):
            target = _printable(link_target)
            self.note(Stage.MEMBER, Reason.LINK_MEMBER, f"{entry_type} to {target!r}: not followed", path)
            return None
        if entry_type != "file":
            self.note(Stage.MEMBER, Reason.SPECIAL_MEMBER, entry_type, path)
            return None
        if path in self._seen:
            self.note(
                Stage.MEMBER, Reason.DUPLICATE_MEMBER, "same name as an earlier member: first kept", path
            )
            return None
        self._seen.add(path)
        if size > self._limits.max_member_bytes:
            self.note(
                Stage.MEMBER,
                Reason.MEMBER_TOO_LARGE,
                f"{size} bytes, above {self._limits.max_member_bytes}",
                path,
            )
            return None
        self.current = path
        return path

    def add(self, path: str, size: int, data: bytes | None) -> None:
        self.current = None
        self.members.append(MemberInfo(path, size))
        if data is not None:
            self.data[path] = data

    def result(self, kind: ArchiveKind) -> ArchiveContents:
        return ArchiveContents(kind, self.members, self.data, self.quarantine)


def _read_source(source: _Source, name: str, keep: KeepMember, limits: ArchiveLimits) -> ArchiveContents:
    keep = _passing_errors_through(keep)
    out = _Collector(limits)
    kind: ArchiveKind = "unknown"
    try:
        head = source.head()
        if not head:
            out.note(Stage.ARCHIVE, Reason.EMPTY_FILE, "0 bytes")
            return out.result(kind)
        kind = _sniff(head, name)
        if source.size is not None and source.size > limits.max_archive_bytes:
            out.note(
                Stage.ARCHIVE,
                Reason.ARCHIVE_TOO_LARGE,
                f"{source.size} bytes, above {limits.max_archive_bytes}",
            )
        elif kind == "tar":
            _read_tar(_ChunkReader(lambda: source.read(_READ_CHUNK)), out, keep)
        elif kind == "tar.gz":
            inflater = _GzipInflater(source, _InflationBudget(limits))
            _read_tar(_ChunkReader(inflater.read_chunk), out, keep)
        elif kind == "zip":
            _read_zip(source, out, keep, limits)
        elif kind == "xml":
            _read_bare_xml(source, name, out, keep, limits)
        else:
            out.note(Stage.ARCHIVE, Reason.UNSUPPORTED_ARCHIVE, _unsupported_detail(head))
    except _ArchiveStop as stop:
        out.note(Stage.ARCHIVE, stop.reason, stop.detail, out.current)
    except _PassThrough as failure:
        raise failure.error from None
    except _DECODE_ERRORS as error:
        out.note(Stage.ARCHIVE, Reason.CORRUPT_ARCHIVE, f"{type(error).__name__}: {error}", out.current)
    return out.result(kind)


def _passing_errors_through(keep: KeepMember) -> KeepMember:
    def guarded_keep(path: str, size: int) -> bool:
        try:
            return keep(path, size)
        except Exception as error:
            raise _PassThrough(error) from error

    return guarded_keep


def _sniff(head: bytes, name: str) -> ArchiveKind:
    if head.startswith(_GZIP_MAGIC):
        return "tar.gz" if _gzip_may_hold_tar(head) else "unknown"
    if head.startswith(_ZIP_MAGICS):
        return "zip"
    if _is_tar_header(head[:_TAR_BLOCK]):
        return "tar"
    if posixpath.basename(name).lower().endswith(_XML_SUFFIXES):
        return "xml"
    return "unknown"


def _gzip_may_hold_tar(head: bytes) -> bool:
    """False only when the start of the gzip payload is readable and is not a tar header."""
    decompressor = zlib.decompressobj(_GZIP_WBITS)
    try:
        start = decompressor.decompress(head, _TAR_BLOCK)
    except zlib.error:
        return True  # corrupt: reported as such by the full read
    if len(start) < _TAR_BLOCK:
        return not decompressor.eof  # a complete payload shorter than one tar block is no tar
    return _is_tar_header(start)


def _is_tar_header(block: bytes) -> bool:
    if len(block) < _TAR_BLOCK:
        return False
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _unsupported_detail(head: bytes) -> str:
    if head.startswith(_GZIP_MAGIC):
        return "gzip whose content is not a tar archive"
    return f"not gzip, zip, tar or *.xml (starts with {head[:8].hex()})"


def _read_tar(reader: _ChunkReader, out: _Collector, keep: KeepMember) -> None:
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    while True:
        block = reader.read(_TAR_BLOCK)
        if len(block) < _TAR_BLOCK:
            if block or long_name or long_link or pax:
                raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, "tar ends inside a header")
            return  # ends at a member boundary without end-of-archive blocks: accepted, as tar(1) does
        header_offset = reader.offset - _TAR_BLOCK
        if block == _ZERO_BLOCK:
            return  # the end-of-archive marker
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as error:
            raise _ArchiveStop(
                Reason.CORRUPT_ARCHIVE, f"bad tar header at offset {header_offset}: {error}"
            ) from None

        if info.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
            value = _tar_text(_read_extended_header(reader, info.size).split(b"\x00", 1)[0])
            if info.type == tarfile.GNUTYPE_LONGNAME:
                long_name = value
            else:
                long_link = value
            continue
        if info.type in (tarfile.XHDTYPE, tarfile.SOLARIS_XHDTYPE):
            pax.update(_parse_pax_records(_read_extended_header(reader, info.size)))
            continue
        if info.type == tarfile.XGLTYPE:
            _read_extended_header(reader, info.size)  # global defaults (mostly comments): not needed
            continue

        raw_name = pax.get("path") or long_name or _tar_text(info.name)
        link_target = pax.get("linkpath") or long_link or _tar_text(info.linkname)
        data_size = _pax_size(pax, info.size)
        entry_type = _tar_entry_type(info, pax)
        if info.type == tarfile.GNUTYPE_SPARSE:
            _skip_sparse_extensions(reader, block)
        long_name = long_link = None
        pax = {}
        if info.type in _TAR_DATALESS_TYPES:
            data_size = 0  # as tar(1): link and device headers are never followed by data blocks

        path = out.admit(raw_name, entry_type, data_size, link_target)
        member_data = None
        if path is not None and keep(path, data_size):
            member_data = reader.read(data_size)
            read_size = len(member_data)
        else:
            read_size = reader.skip(data_size)
        if read_size < data_size:
            raise _ArchiveStop(
                Reason.CORRUPT_ARCHIVE, f"tar truncated inside member at offset {header_offset}"
            )
        reader.skip(-data_size % _TAR_BLOCK)
        if path is not None:
            out.add(path, data_size, member_data)


def _tar_entry_type(info: tarfile.TarInfo, pax: dict[str, str]) -> str:
    if info.type in _TAR_FILE_TYPES and not any(key.startswith("GNU.sparse.") for key in pax):
        return "file"
    if info.type == tarfile.DIRTYPE:
        return "dir"
    if info.type == tarfile.SYMTYPE:
        return "symlink"
    if info.type == tarfile.LNKTYPE:
        return "hardlink"
    if info.type in _TAR_FILE_TYPES or info.type == tarfile.GNUTYPE_SPARSE:
        return "sparse file"  # its data blocks are not the file's bytes
    special = {tarfile.CHRTYPE: "character device", tarfile.BLKTYPE: "block device", tarfile.FIFOTYPE: "fifo"}
    return special.get(info.type, f"tar entry type {info.type!r}")


def _read_extended_header(reader: _ChunkReader, size: int) -> bytes:
    if size > _MAX_TAR_EXTENDED_HEADER:
        raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, f"tar extended header of {size} bytes")
    payload = reader.read(size)
    if len(payload) < size:
        raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, "tar truncated inside an extended header")
    reader.skip(-size % _TAR_BLOCK)
    return payload


def _skip_sparse_extensions(reader: _ChunkReader, header: bytes) -> None:
    """Old GNU sparse headers chain extra 512-byte maps (flag at 482, then at 504 of each extension)."""
    extended = header[482]
    while extended:
        extension = reader.read(_TAR_BLOCK)
        if len(extension) < _TAR_BLOCK:
            raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, "tar truncated inside a sparse header")
        extended = extension[504]


def _parse_pax_records(payload: bytes) -> dict[str, str]:
    """POSIX pax records: '<length> <key>=<value>\\n', length counting the whole record."""
    records: dict[str, str] = {}
    position = 0
    while position < len(payload) and payload[position] != 0:
        space = payload.find(b" ", position)
        length = int(payload[position:space]) if space > position else 0
        record_end = position + length
        if length <= 0 or record_end > len(payload) or payload[record_end - 1 : record_end] != b"\n":
            raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, "malformed pax header")
        key, _, value = payload[space + 1 : record_end - 1].partition(b"=")
        records[_tar_text(key)] = _tar_text(value)
        position = record_end
    return records


def _pax_size(pax: dict[str, str], header_size: int) -> int:
    if "size" not in pax:
        return header_size
    try:
        size = int(pax["size"])
    except ValueError:
        raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, f"bad pax size {pax['size']!r}") from None
    if size < 0:
        raise _ArchiveStop(Reason.CORRUPT_ARCHIVE, f"negative pax size {size}")
    return size


def _tar_text(raw: str | bytes) -> str:
    """UTF-8, else Latin-1 (old tools wrote local 8-bit names): never a lone surrogate in a Spark string."""
    if isinstance(raw, str):
        if raw.isascii():
            return raw
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _printable(name: str) -> str:
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def _read_zip(source: _Source, out: _Collector, keep: KeepMember, limits: ArchiveLimits) -> None:
    archive = zipfile.ZipFile(source.zip_file())
    archive_size = source.size if source.size is not None else 1 << 62
    budget = _InflationBudget(limits)
    compressed_opened = 0
    for info in archive.infolist():
        path = out.admit(info.orig_filename, _zip_entry_type(info), info.file_size)
        if path is None:
            continue
        member_data = None
        if keep(path, info.file_size):
            compressed_opened += info.compress_size
            # Sharing compressed bytes between entries (overlap bombs) cannot push this past the archive.
            compressed = min(compressed_opened, archive_size)
            try:
                member_data = _read_zip_member(archive, info, budget, compressed, limits)
            except _MemberProblem as problem:
                out.current = None
                out.note(Stage.MEMBER, problem.reason, problem.detail, path)
                continue
        out.add(path, info.file_size, member_data)


class _MemberProblem(Exception):
    """One zip member cannot be read; the others still can (random access)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _read_zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: _InflationBudget,
    compressed_bytes: int,
    limits: ArchiveLimits,
) -> bytes:
    if info.flag_bits & 0x1:
        raise _MemberProblem(Reason.UNSUPPORTED_ARCHIVE, "encrypted member")
    if info.compress_type not in _ZIP_METHODS:
        raise _MemberProblem(Reason.UNSUPPORTED_ARCHIVE, f"zip compression method {info.compress_type}")
    parts = []
    inflated = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_READ_CHUNK):
                inflated += len(chunk)
                if inflated > limits.max_member_bytes:  # declared sizes can lie: count what comes out
                    raise _MemberProblem(
                        Reason.MEMBER_TOO_LARGE, f"inflates past {limits.max_member_bytes} bytes"
                    )
                budget.charge(len(chunk), compressed_bytes)
                parts.append(chunk)
    except _DECODE_ERRORS as error:
        raise _MemberProblem(Reason.CORRUPT_ARCHIVE, f"{type(error).__name__}: {error}") from None
    return b"".join(parts)


def _zip_entry_type(info: zipfile.ZipInfo) -> str:
    if info.filename.endswith("/"):  # ZipInfo.is_dir() fails on an empty name
        return "dir"
    mode = info.external_attr >> 16  # Unix mode bits, when the creator recorded them
    file_type = stat.S_IFMT(mode)
    if not file_type or file_type == stat.S_IFREG:
        return "file"
    if file_type == stat.S_IFDIR:
        return "dir"
    if file_type == stat.S_IFLNK:
        return "symlink"
    return f"zip entry with file mode {mode:o}"


def _read_bare_xml(
    source: _Source, name: str, out: _Collector, keep: KeepMember, limits: ArchiveLimits
) -> None:
    path = posixpath.basename(name)
    limit = limits.max_member_bytes
    if source.size is not None and source.size > limit:
        out.note(Stage.MEMBER, Reason.MEMBER_TOO_LARGE, f"{source.size} bytes, above {limit}", path)
        return
    if source.size is not None and not keep(path, source.size):
        out.add(path, source.size, None)  # listed, never read
        return
    chunks = []
    size = 0
    while chunk := source.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:  # the filesystem could not tell the size up front
            out.note(Stage.MEMBER, Reason.MEMBER_TOO_LARGE, f"more than {limit} bytes", path)
            return
        chunks.append(chunk)
    out.add(path, size, b"".join(chunks) if keep(path, size) else None)
