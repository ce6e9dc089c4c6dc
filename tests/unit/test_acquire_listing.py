"""Enumerating cloud versions by listing `metadata/` (no Spark): every version of the fixture mirror over
HTTPS (the S3 REST listing) and over the S3 API (moto), page after page, sliced by
`acquire.cloud.list_prefix`; failed pages retried and resumed, not restarted; a server that does not
answer listings refused with a clear message; and the Parquet spill the job reads."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from support.pmc_mirror import BUCKET, Faults, Mirror, MirrorHttpServer, MotoS3, build_mirror

from biomedica_spark.acquire.cloud import ListedObject
from biomedica_spark.acquire.fetch import Fetcher
from biomedica_spark.acquire.listing import LISTED_DDL, ListedSpill, enumerate_source
from biomedica_spark.acquire.retry import Backoff, FetchError, RateLimiter
from biomedica_spark.acquire.settings import settings_from_config
from biomedica_spark.acquire.transport import HttpTransport, ListedPage, S3Transport, Transport
from biomedica_spark.config import load_config

pytestmark = pytest.mark.corpus
COUNT = 12
SLICE = "PMC11"  # 8 of the 12 fixture articles (PMC1110896 ... PMC1193530)


@pytest.fixture(scope="module")
def mirror(real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    built = build_mirror(real_corpus_dir, tmp_path_factory.mktemp("listing") / "mirror", count=COUNT)
    base = built.articles[sorted(built.articles)[5]]
    built.put_cloud(type(base)(base.pmcid, base.xml, base.media, base.license_code, version=2))
    return built


@pytest.fixture(scope="module")
def moto(mirror: Mirror) -> Iterator[MotoS3]:
    with MotoS3() as s3:
        s3.upload(mirror.cloud)
        yield s3


def settings(*overrides: str) -> Any:
    return settings_from_config(load_config(["acquire.source=pmc_cloud", *overrides]))


def fetcher(transport: Transport, retries: int = 3) -> Fetcher:
    return Fetcher(transport, RateLimiter(1000, 50), Backoff(retries, 0.001, 0.01))


def listed(tmp_path: Path, fetcher: Fetcher, *overrides: str, rows_per_file: int = 4) -> list[dict[str, Any]]:
    spill = ListedSpill(str(tmp_path / "listed"), rows_per_file)
    complete, bad = enumerate_source(fetcher, settings(*overrides), "run", spill)
    assert complete and bad == []
    count = spill.close()
    rows = pq.read_table(tmp_path / "listed").to_pylist()
    assert count == len(rows) and spill.files == -(-count // rows_per_file)
    return rows


def expected_versions(mirror: Mirror, prefix: str = "") -> set[tuple[str, int]]:
    return {key for key in mirror.articles if key[0].startswith(prefix)}


def check_rows(mirror: Mirror, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        json_file = mirror.cloud / "metadata" / f"{row['pmcid']}.{row['version']}.json"
        assert row["remote_key"] == f"metadata/{json_file.name}"
        assert row["etag"] == hashlib.md5(json_file.read_bytes()).hexdigest()
        assert row["last_modified"] is not None and row["license_subset"] is None  # the JSON decides


class CountingPages:
    """A transport wrapper recording where each page request started."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.starts: list[str | None] = []

    def get(self, key: str) -> Any:
        return self.inner.get(key)

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        self.starts.append(start_after)
        return self.inner.list_page(prefix, start_after)


def test_https_listing_enumerates_every_version_page_by_page(mirror: Mirror, tmp_path: Path) -> None:
    with MirrorHttpServer(mirror.root) as server:
        server.page_size = 4
        rows = listed(tmp_path, fetcher(HttpTransport(f"{server.url}/cloud")))
        pages = server.listing_pages
    assert len(mirror.articles) == COUNT + 1
    assert {(r["pmcid"], r["version"]) for r in rows} == expected_versions(mirror)
    assert len(rows) == COUNT + 1 and pages == -(-(COUNT + 1) // 4)
    check_rows(mirror, rows)


def test_s3_listing_enumerates_every_version_page_by_page(
    mirror: Mirror, moto: MotoS3, tmp_path: Path
) -> None:
    transport = CountingPages(S3Transport(BUCKET, moto.endpoint, page_size=5))
    rows = listed(tmp_path, fetcher(transport), "acquire.cloud.protocol=s3")
    assert {(r["pmcid"], r["version"]) for r in rows} == expected_versions(mirror)
    assert len(rows) == COUNT + 1
    assert len(transport.starts) == 3 and transport.starts[0] is None  # 13 keys, 5 a page
    assert transport.starts[1:] == [f"metadata/{r['pmcid']}.{r['version']}.json" for r in rows[4:10:5]]
    check_rows(mirror, rows)


@pytest.mark.parametrize("protocol", ["https", "s3"])
def test_list_prefix_enumerates_exactly_its_slice(
    mirror: Mirror, moto: MotoS3, tmp_path: Path, protocol: str
) -> None:
    sliced = expected_versions(mirror, SLICE)
    assert 0 < len(sliced) < len(mirror.articles)  # a real slice, with a second version in it
    assert any(version == 2 for _, version in sliced)
    args = ["acquire.cloud.list_prefix=pmc11"]  # upper-cased like every PMCID
    if protocol == "s3":
        rows = listed(tmp_path, fetcher(S3Transport(BUCKET, moto.endpoint, page_size=3)), *args)
    else:
        with MirrorHttpServer(mirror.root) as server:
            server.page_size = 3
            rows = listed(tmp_path, fetcher(HttpTransport(f"{server.url}/cloud")), *args)
    assert {(r["pmcid"], r["version"]) for r in rows} == sliced and len(rows) == len(sliced)


def test_failed_pages_are_retried_and_the_listing_resumes(mirror: Mirror, tmp_path: Path) -> None:
    faults = Faults(first={"/cloud/": ["http_503", "reset", "truncated"]})
    with MirrorHttpServer(mirror.root, faults) as server:
        server.page_size = 4
        rows = listed(tmp_path, fetcher(HttpTransport(f"{server.url}/cloud", timeout_s=5)))
        served = server.listing_pages
    assert {(r["pmcid"], r["version"]) for r in rows} == expected_versions(mirror)
    assert faults.injected == {"http_503": 1, "reset": 1, "truncated": 1}
    assert served == 5  # 4 pages + the truncated one served again; none listed twice otherwise


class FlakyPages:
    """A transport over fixed keys, pages of 2, whose third page fails once."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.starts: list[str | None] = []
        self.failed = False

    def get(self, key: str) -> Any:
        raise AssertionError("a listing reads no object")

    def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
        self.starts.append(start_after)
        rest = [k for k in self.keys if k.startswith(prefix) and (start_after is None or k > start_after)]
        if len(self.starts) == 3 and not self.failed:
            self.failed = True
            raise FetchError("http_503", "page three", True)
        page = [ListedObject(k, None, None) for k in rest[:2]]
        return page, (page[-1].key if len(rest) > 2 else None)


def test_a_failed_page_resumes_after_the_last_key_received() -> None:
    keys = [f"metadata/PMC{n}.1.json" for n in range(10, 17)]
    transport = FlakyPages(keys)
    assert [o.key for o in fetcher(transport).list("metadata/")] == keys
    assert transport.starts == [None, keys[1], keys[3], keys[3], keys[5]]


def test_a_listing_that_keeps_failing_stops_the_job_with_the_reason(tmp_path: Path) -> None:
    class Down:
        def get(self, key: str) -> Any:
            raise AssertionError

        def list_page(self, prefix: str, start_after: str | None = None) -> ListedPage:
            raise FetchError("http_503", "unavailable", True)

    with pytest.raises(SystemExit, match=r"could not enumerate pmc_cloud .*http_503.* after 3 attempt"):
        enumerate_source(fetcher(Down(), retries=2), settings(), "run", ListedSpill(str(tmp_path / "l")))


def test_an_http_server_without_s3_listings_is_refused_clearly(mirror: Mirror, tmp_path: Path) -> None:
    """A plain static mirror answers `?list-type=2` with an HTML index: never read as an empty listing
    (which would mark every fetched article as removed)."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(mirror.cloud))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        with pytest.raises(SystemExit, match=r"ListObjectsV2.*enumerate=pmcids"):
            listed(tmp_path, fetcher(HttpTransport(base)))
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_spill_writes_files_of_bounded_size_and_an_empty_file_for_nothing(tmp_path: Path) -> None:
    import datetime as dt

    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    spill = ListedSpill(str(tmp_path / "some"), rows_per_file=3)
    rows = [(f"PMC{n}", 1, f"metadata/PMC{n}.1.json", when, "e" * 32, *(None,) * 5) for n in range(7)]
    for row in rows:
        spill.add(row)
    assert spill.close() == 7 and spill.files == 3
    assert sorted(p.name for p in (tmp_path / "some").iterdir()) == [
        f"part-0000{i}.parquet" for i in range(3)
    ]
    table = pq.read_table(tmp_path / "some")
    assert [tuple(r.values()) for r in table.to_pylist()] == rows
    columns = [c.split()[0] for c in " ".join(LISTED_DDL.split()).split(", ")]
    assert table.column_names == columns

    empty = ListedSpill(str(tmp_path / "none"))
    assert empty.close() == 0 and empty.files == 1
    assert pq.read_table(tmp_path / "none").num_rows == 0
