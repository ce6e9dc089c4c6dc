"""Getting bytes: plain HTTP(S), the S3 API (anonymous), or a local folder, behind one small interface.

Every failure becomes a `FetchError` with a kind the ledger records and a retryable flag; nothing here
retries (that is `retry.call_with_retries`'s job) and nothing here knows about PMC.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from biomedica_spark.acquire.cloud import (
    ListedObject,
    MetadataError,
    clean_etag,
    parse_list_bucket_result,
)
from biomedica_spark.acquire.retry import FetchError, http_status_error

USER_AGENT = "biomedica-spark-acquire (+https://github.com/; bulk PMC-OA fetcher)"


@dataclass(frozen=True)
class Fetched:
    data: bytes
    last_modified: dt.datetime | None
    etag: str | None


# One page of a listing: its objects, and the key to list after next (None after the last page).
ListedPage = tuple[list[ListedObject], str | None]
PAGE_SIZE = 1000  # the most keys S3 returns in one ListObjectsV2 answer


class Transport(Protocol):
    def get(self, key: str) -> Fetched: ...

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        """The keys under `prefix` after `start_after`, one request's worth. Pages are resumed by key
        (ListObjectsV2 `start-after`), not by continuation token, so a failed page is retried alone."""
        ...


def list_all(transport: Transport, prefix: str) -> Iterator[ListedObject]:
    """Every key under `prefix`, page after page, without retries (`Fetcher.list` adds them)."""
    after: str | None = None
    while True:
        objects, after = transport.list_page(prefix, after)
        yield from objects
        if after is None:
            return


class HttpTransport:
    """GET `<base_url>/<key>`; listing through the S3 REST API (`?list-type=2`), which the bucket's
    HTTPS endpoint answers anonymously."""

    def __init__(self, base_url: str, timeout_s: float = 60.0, page_size: int = PAGE_SIZE) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.page_size = page_size

    def url(self, key: str) -> str:
        return f"{self.base_url}/{urllib.parse.quote(key.lstrip('/'), safe='/')}"

    def get(self, key: str) -> Fetched:
        return self._request(self.url(key))

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        query = {"list-type": "2", "prefix": prefix, "max-keys": str(self.page_size)}
        if start_after:
            query["start-after"] = start_after
        url = f"{self.base_url}/?{urllib.parse.urlencode(query)}"
        try:
            objects, token = parse_list_bucket_result(self._request(url).data)
        except MetadataError as exc:
            raise FetchError(
                "bad_listing", f"{url} does not answer an S3 ListObjectsV2 listing ({exc})", False
            ) from exc
        return objects, _next_after(objects, token is not None, url)

    def _request(self, url: str) -> Fetched:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                data = response.read()
                expected = response.headers.get("Content-Length")
                if expected is not None and int(expected) != len(data):
                    raise FetchError("truncated", f"{len(data)} of {expected} bytes from {url}", True)
                return Fetched(
                    data=data,
                    last_modified=_http_date(response.headers.get("Last-Modified")),
                    etag=clean_etag(response.headers.get("ETag")),
                )
        except urllib.error.HTTPError as exc:
            raise http_status_error(
                exc.code, f"{exc.code} {exc.reason} for {url}", _retry_after(exc.headers)
            ) from exc
        except http.client.IncompleteRead as exc:
            raise FetchError("truncated", f"{len(exc.partial)} bytes then EOF from {url}", True) from exc
        except TimeoutError as exc:
            raise FetchError("timeout", f"{url}: {exc}", True) from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise FetchError("connection", f"{url}: {type(exc).__name__} {exc}", True) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise FetchError("timeout", f"{url}: {exc.reason}", True) from exc
            raise FetchError("connection", f"{url}: {exc.reason}", True) from exc


class S3Transport:
    """The S3 API without credentials (`botocore.UNSIGNED`); botocore's own retries are off."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        timeout_s: float = 60.0,
        max_connections: int = 16,
        page_size: int = PAGE_SIZE,
    ) -> None:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        self.bucket = bucket
        self.page_size = page_size
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            config=Config(
                signature_version=UNSIGNED,
                retries={"total_max_attempts": 1},
                connect_timeout=timeout_s,
                read_timeout=timeout_s,
                max_pool_connections=max_connections,
                user_agent_extra="biomedica-spark-acquire",
            ),
        )

    def get(self, key: str) -> Fetched:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            data = response["Body"].read()
        except Exception as exc:  # botocore raises many unrelated classes; classified below
            raise _s3_error(exc, key) from exc
        expected = response.get("ContentLength")
        if expected is not None and int(expected) != len(data):
            raise FetchError(
                "truncated", f"{len(data)} of {expected} bytes of s3://{self.bucket}/{key}", True
            )
        modified = response.get("LastModified")
        return Fetched(data, modified, clean_etag(response.get("ETag")))

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": self.page_size}
        if start_after:
            request["StartAfter"] = start_after
        try:
            page = self.client.list_objects_v2(**request)
        except Exception as exc:
            raise _s3_error(exc, prefix) from exc
        objects = [
            ListedObject(
                item["Key"], item.get("LastModified"), clean_etag(item.get("ETag")), item.get("Size")
            )
            for item in page.get("Contents", [])
        ]
        return objects, _next_after(objects, bool(page.get("IsTruncated")), f"s3://{self.bucket}/{prefix}")


class LocalTransport:
    """A mirror on a local (or mounted) folder."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def get(self, key: str) -> Fetched:
        path = self.root / key.lstrip("/")
        try:
            data = path.read_bytes()
            stat = path.stat()
        except FileNotFoundError as exc:
            raise FetchError("not_found", str(path), False) from exc
        except OSError as exc:
            raise FetchError("io_error", f"{path}: {exc}", True) from exc
        return Fetched(data, dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc), None)

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        """One page holding every key (in key order, like S3)."""
        objects = []
        for folder, _, files in os.walk(self.root):
            for name in files:
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix) and (start_after is None or key > start_after):
                    stat = path.stat()
                    modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc)
                    objects.append(ListedObject(key, modified, None, stat.st_size))
        return sorted(objects, key=lambda o: o.key), None


def _next_after(objects: list[ListedObject], truncated: bool, where: str) -> str | None:
    """The key to resume after, None when the listing is complete. A truncated page without keys cannot
    be resumed, and stopping there would pass a partial listing off as complete (absent keys read as
    removals), so it is an error."""
    if not truncated:
        return None
    if not objects:
        raise FetchError("bad_listing", f"a truncated listing page without keys from {where}", False)
    return objects[-1].key


def _s3_error(exc: Exception, key: str) -> FetchError:
    from botocore.exceptions import (
        ClientError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    if isinstance(exc, ClientError):
        error: dict[str, Any] = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code == "SlowDown":
            return FetchError("slowdown", f"{key}: {error.get('Message')}", True)
        if code in ("NoSuchKey", "NoSuchBucket", "404"):
            return FetchError("not_found", key, False)
        return http_status_error(status or 500, f"{code} for {key}")
    if isinstance(exc, ReadTimeoutError):
        return FetchError("timeout", f"{key}: {exc}", True)
    if isinstance(exc, (IncompleteReadError, ResponseStreamingError)):
        return FetchError("truncated", f"{key}: {exc}", True)
    if isinstance(exc, (BotoConnectionError, ConnectionError, http.client.HTTPException)):
        return FetchError("connection", f"{key}: {exc}", True)
    return FetchError("s3_error", f"{key}: {type(exc).__name__} {exc}", False)


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
