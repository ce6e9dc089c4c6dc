"""Fetching one work item (a version's JSON, a cloud article version, a legacy package) with retries,
verification and an atomic landing write; and running many of them on a bounded thread pool.

Failures come back as values (status `failed`, an error kind and detail), never as exceptions: one bad
article never stops a task.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from biomedica_spark.acquire.cloud import (
    CloudFile,
    CloudVersion,
    ListedObject,
    MetadataError,
    etag_md5,
    parse_version_json,
    with_last_modified,
)
from biomedica_spark.acquire.landing import (
    LandingWriter,
    cloud_archive_path,
    legacy_archive_path,
    md5_hex,
    md5_matches,
    pack_cloud_version,
    package_problem,
)
from biomedica_spark.acquire.retry import Backoff, FetchError, RateLimiter, call_with_retries
from biomedica_spark.acquire.transport import Fetched, Transport
from biomedica_spark.archives.resolve import MemberIndex
from biomedica_spark.jats.articles import parse_xml

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome:
    status: str  # fetched | failed
    attempts: int
    error_kind: str | None = None
    error: str | None = None
    md5: str | None = None  # of what landed
    bytes: int = 0
    files: int = 0
    landing_path: str | None = None
    fetched_at: dt.datetime | None = None


class Fetcher:
    """One task's view of the server: its transport, its share of the rate limit, its retry policy.
    Shared by the task's threads (the limiter is thread-safe; each thread has its own jitter source)."""

    def __init__(self, transport: Transport, limiter: RateLimiter, backoff: Backoff, seed: int = 0) -> None:
        self.transport = transport
        self.limiter = limiter
        self.backoff = backoff
        self._seed = seed
        self._local = threading.local()

    def _rng(self) -> random.Random:
        rng = getattr(self._local, "rng", None)
        if rng is None:
            rng = random.Random(f"{self._seed}-{threading.get_ident()}")
            self._local.rng = rng
        return rng

    def get(self, key: str, check: Callable[[bytes], str | None] | None = None) -> tuple[Fetched, int]:
        """GET with retries; `check` returns why the bytes are bad (then it is retried like a transfer
        error, since a corrupted transfer is the likely cause), or None."""

        def once() -> Fetched:
            fetched = self.transport.get(key)
            problem = check(fetched.data) if check is not None else None
            if problem is not None:
                raise FetchError("corrupt", f"{key}: {problem}", True)
            return fetched

        return call_with_retries(once, self.backoff, self._rng(), on_attempt=self.limiter.acquire)

    def list(self, prefix: str) -> Iterator[ListedObject]:
        """Every key under `prefix`. Each page is one rate-limited request with its own retries, resumed
        after the last key received: a listing of millions of keys is thousands of pages, and starting
        over on any failure would rarely finish."""
        after: str | None = None
        while True:
            page = functools.partial(self.transport.list_page, prefix, after)
            (objects, after), _ = call_with_retries(
                page, self.backoff, self._rng(), on_attempt=self.limiter.acquire
            )
            yield from objects
            if after is None:
                return

    def get_verified(self, file: CloudFile) -> tuple[bytes, int]:
        def check(data: bytes) -> str | None:
            return None if md5_matches(data, file.md5) else f"md5 {md5_hex(data)} != {file.md5}"

        fetched, attempts = self.get(file.key, check)
        return fetched.data, attempts


def _failed(exc: FetchError, attempts: int) -> Outcome:
    return Outcome("failed", attempts, exc.kind, exc.detail[:2000])


def fetch_metadata(fetcher: Fetcher, key: str, etag: str | None) -> tuple[bytes | None, Outcome]:
    """A version's JSON, checked against the listing's ETag when that is an MD5."""
    expected = etag_md5(etag)

    def check(data: bytes) -> str | None:
        return None if md5_matches(data, expected) else f"md5 {md5_hex(data)} != ETag {expected}"

    try:
        fetched, attempts = fetcher.get(key, check)
    except FetchError as exc:
        return None, _failed(exc, getattr(exc, "attempts", 1))
    return fetched.data, Outcome("fetched", attempts, md5=md5_hex(fetched.data), bytes=len(fetched.data))


@dataclass(frozen=True)
class CloudOptions:
    bucket: str
    include_pdf: bool = False
    include_supplements: bool = False


def figure_media(version: CloudVersion, xml: bytes, xml_name: str) -> list[CloudFile]:
    """The media files the XML's figure graphics name (resolved like `extract` resolves archive members:
    by stem, preferring full-size rasters), in media order."""
    index = MemberIndex([m.name for m in version.media])
    wanted: set[str] = set()
    for article in parse_xml(xml, xml_name).articles:
        for figure in article.figures:
            resolved = index.resolve(figure.graphic_href, xml_name)
            if isinstance(resolved, str):
                wanted.add(resolved)
    return [m for m in version.media if m.name in wanted]


def fetch_cloud_version(
    fetcher: Fetcher,
    writer: LandingWriter,
    metadata: bytes,
    last_modified: dt.datetime | None,
    options: CloudOptions,
) -> Outcome:
    """XML + the figure media (+ PDF and supplements if asked), each verified against its MD5, packed
    into one archive with the JSON and written atomically."""
    attempts = 0
    try:
        version = parse_version_json(metadata, options.bucket)
    except MetadataError as exc:
        return Outcome("failed", 0, "metadata_unreadable", str(exc))
    if version.xml is None:
        return Outcome("failed", 0, "no_xml", "the JSON names no xml_url")
    version_id = f"{version.pmcid}.{version.version}"
    try:
        xml, n = fetcher.get_verified(version.xml)
        attempts += n
        chosen = (
            list(version.media)
            if options.include_supplements
            else figure_media(version, xml, version.xml.name)
        )
        if options.include_pdf and version.pdf is not None:
            chosen.append(version.pdf)
        files = [(version.xml.name, xml), (f"{version_id}.json", with_last_modified(metadata, last_modified))]
        for media in chosen:
            data, n = fetcher.get_verified(media)
            attempts += n
            files.append((media.name, data))
    except FetchError as exc:
        return _failed(exc, attempts + getattr(exc, "attempts", 1))
    archive = pack_cloud_version(version_id, files)
    try:
        path = writer.write(cloud_archive_path(version.pmcid, version.version), archive)
    except OSError as exc:
        return Outcome("failed", attempts, "landing_write", str(exc))
    return Outcome(
        "fetched",
        attempts,
        md5=md5_hex(archive),
        bytes=len(archive),
        files=len(files),
        landing_path=path,
        fetched_at=dt.datetime.now(dt.timezone.utc),
    )


def fetch_legacy_package(fetcher: Fetcher, writer: LandingWriter, package_path: str) -> Outcome:
    """One package, byte-identical to the mirror once it reads through without error."""
    try:
        fetched, attempts = fetcher.get(package_path, lambda data: package_problem(package_path, data))
    except FetchError as exc:
        return _failed(exc, getattr(exc, "attempts", 1))
    try:
        path = writer.write(legacy_archive_path(package_path), fetched.data)
    except OSError as exc:
        return Outcome("failed", attempts, "landing_write", str(exc))
    return Outcome(
        "fetched",
        attempts,
        md5=md5_hex(fetched.data),
        bytes=len(fetched.data),
        files=1,
        landing_path=path,
        fetched_at=dt.datetime.now(dt.timezone.utc),
    )


def run_bounded(items: Iterable[T], work: Callable[[T], R], concurrency: int) -> Iterator[tuple[T, R]]:
    """`work` over `items` on at most `concurrency` threads, never more than that many in flight;
    results in completion order. `work` must not raise (failures are values)."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: dict[Future[R], T] = {}
        for item in items:
            if len(pending) >= concurrency:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
            pending[pool.submit(work, item)] = item
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "attempts": outcome.attempts,
        "error_kind": outcome.error_kind,
        "error": outcome.error,
        "md5": outcome.md5,
        "bytes": outcome.bytes,
        "files": outcome.files,
        "landing_path": outcome.landing_path,
        "fetched_at": outcome.fetched_at,
    }
