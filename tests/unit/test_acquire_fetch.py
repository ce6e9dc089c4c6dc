"""Fetching single items against the loopback fixture server (no Spark): figure media only, MD5 checks,
retries through injected faults, permanent failures as values, nothing corrupt landed."""

from __future__ import annotations

import json
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.pmc_mirror import Faults, Mirror, MirrorHttpServer, build_mirror

from biomedica_spark.acquire.fetch import (
    CloudOptions,
    Fetcher,
    fetch_cloud_version,
    fetch_legacy_package,
    fetch_metadata,
    run_bounded,
)
from biomedica_spark.acquire.landing import TMP_FOLDER, LandingWriter
from biomedica_spark.acquire.retry import Backoff, FetchError, RateLimiter
from biomedica_spark.acquire.transport import HttpTransport, LocalTransport, list_all

pytestmark = pytest.mark.corpus
BUCKET = "pmc-oa-opendata"


@pytest.fixture()
def mirror(real_corpus_dir: Path, tmp_path: Path) -> Mirror:
    return build_mirror(real_corpus_dir, tmp_path / "mirror", count=3)


@pytest.fixture()
def server(mirror: Mirror) -> Iterator[MirrorHttpServer]:
    with MirrorHttpServer(mirror.root, Faults(slow_s=1.0)) as running:
        yield running


def fetcher(base_url: str, retries: int = 4, timeout_s: float = 5.0) -> Fetcher:
    return Fetcher(HttpTransport(base_url, timeout_s), RateLimiter(1000, 50), Backoff(retries, 0.001, 0.01))


def first_version(mirror: Mirror) -> tuple[str, bytes]:
    pmcid, version = sorted(mirror.articles)[0]
    return f"{pmcid}.{version}", (mirror.cloud / "metadata" / f"{pmcid}.{version}.json").read_bytes()


def members(path: str) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_cloud_version_packs_xml_json_and_only_figure_media(
    mirror: Mirror, server: MirrorHttpServer, tmp_path: Path
) -> None:
    vid, metadata = first_version(mirror)
    article = mirror.articles[(vid.split(".")[0], 1)]
    outcome = fetch_cloud_version(
        fetcher(f"{server.url}/cloud"), LandingWriter(str(tmp_path / "landing"), "r"), metadata, None,
        CloudOptions(BUCKET),
    )  # fmt: skip
    assert outcome.status == "fetched" and outcome.landing_path is not None
    packed = members(outcome.landing_path)
    expected = {f"{vid}/{vid}.xml", f"{vid}/{vid}.json"} | {f"{vid}/{name}" for name in article.media}
    assert set(packed) == expected  # no PDF, no text, no supplement
    assert packed[f"{vid}/{vid}.xml"] == article.xml
    assert all(packed[f"{vid}/{n}"] == data for n, data in article.media.items())
    assert json.loads(packed[f"{vid}/{vid}.json"])["pmcid"] == vid.split(".")[0]


def test_pdf_and_supplements_only_when_asked(
    mirror: Mirror, server: MirrorHttpServer, tmp_path: Path
) -> None:
    vid, metadata = first_version(mirror)
    options = CloudOptions(BUCKET, include_pdf=True, include_supplements=True)
    outcome = fetch_cloud_version(
        fetcher(f"{server.url}/cloud"), LandingWriter(str(tmp_path), "r"), metadata, None, options
    )
    names = set(members(outcome.landing_path or ""))
    assert {f"{vid}/{vid}.pdf", f"{vid}/{vid}_supp.docx"} <= names


@pytest.mark.parametrize(
    "kind", ["http_500", "http_503", "http_429", "reset", "truncated", "corrupt", "slow"]
)
def test_transient_faults_are_retried(
    kind: str, mirror: Mirror, server: MirrorHttpServer, tmp_path: Path
) -> None:
    vid, metadata = first_version(mirror)
    media = sorted(mirror.articles[(vid.split(".")[0], 1)].media)[0]
    server.faults.first[f"/{media}"] = [kind, kind]
    outcome = fetch_cloud_version(
        fetcher(f"{server.url}/cloud", timeout_s=0.5), LandingWriter(str(tmp_path), "r"), metadata, None,
        CloudOptions(BUCKET),
    )  # fmt: skip
    assert outcome.status == "fetched", outcome
    assert server.faults.injected == {kind: 2}


def test_a_file_that_never_verifies_fails_the_article_and_lands_nothing(
    mirror: Mirror, server: MirrorHttpServer, tmp_path: Path
) -> None:
    vid, metadata = first_version(mirror)
    media = sorted(mirror.articles[(vid.split(".")[0], 1)].media)[0]
    server.faults.always[f"/{media}"] = "corrupt"
    landing = tmp_path / "landing"
    writer = LandingWriter(str(landing), "r")
    outcome = fetch_cloud_version(fetcher(f"{server.url}/cloud", retries=2), writer, metadata, None,
                                  CloudOptions(BUCKET))  # fmt: skip
    writer.clean()
    assert (outcome.status, outcome.error_kind) == ("failed", "corrupt")
    assert "md5" in (outcome.error or "") and outcome.attempts >= 3
    assert not landing.exists() or not any(landing.rglob("*.tar.gz"))


def test_metadata_is_checked_against_the_listing_etag(mirror: Mirror, server: MirrorHttpServer) -> None:
    vid, metadata = first_version(mirror)
    data, outcome = fetch_metadata(fetcher(f"{server.url}/cloud"), f"metadata/{vid}.json", "0" * 32)
    assert data is None and outcome.error_kind == "corrupt"
    transport = HttpTransport(f"{server.url}/cloud")
    listed = {o.key: o for o in list_all(transport, "metadata/")}
    data, outcome = fetch_metadata(fetcher(f"{server.url}/cloud"), f"metadata/{vid}.json",
                                   listed[f"metadata/{vid}.json"].etag)  # fmt: skip
    assert data == metadata and outcome.status == "fetched"


def test_listing_pages_through_the_whole_prefix(mirror: Mirror, server: MirrorHttpServer) -> None:
    server.page_size = 7
    keys = [o.key for o in list_all(HttpTransport(f"{server.url}/cloud"), "")]
    on_disk = sorted(p.relative_to(mirror.cloud).as_posix() for p in mirror.cloud.rglob("*") if p.is_file())
    assert len(on_disk) > 3 * 7 and keys == on_disk


def test_legacy_package_lands_byte_identical_after_a_corrupt_transfer(
    mirror: Mirror, server: MirrorHttpServer, tmp_path: Path
) -> None:
    path = next(iter(mirror.legacy_rows.values()))[0]
    server.faults.first[path] = ["corrupt", "truncated"]
    outcome = fetch_legacy_package(fetcher(f"{server.url}/legacy"), LandingWriter(str(tmp_path), "r"), path)
    assert outcome.status == "fetched" and outcome.attempts == 3
    assert Path(outcome.landing_path or "").read_bytes() == (mirror.legacy / path).read_bytes()


def test_legacy_from_a_local_folder_and_a_missing_package(mirror: Mirror, tmp_path: Path) -> None:
    local = Fetcher(LocalTransport(str(mirror.legacy)), RateLimiter(1000, 50), Backoff(3, 0.001, 0.01))
    writer = LandingWriter(str(tmp_path), "r")
    path = next(iter(mirror.legacy_rows.values()))[0]
    assert fetch_legacy_package(local, writer, path).status == "fetched"
    missing = fetch_legacy_package(local, writer, "oa_package/00/00/PMC0.tar.gz")
    assert (missing.status, missing.error_kind, missing.attempts) == ("failed", "not_found", 1)
    writer.clean()
    assert not (tmp_path / TMP_FOLDER).exists()


def test_timeouts_are_reported_as_such(server: MirrorHttpServer) -> None:
    server.faults.always["/oa_file_list.csv"] = "slow"
    with pytest.raises(FetchError) as caught:
        HttpTransport(f"{server.url}/legacy", timeout_s=0.2).get("oa_file_list.csv")
    assert caught.value.kind == "timeout" and caught.value.retryable


def test_run_bounded_never_exceeds_its_concurrency() -> None:
    lock = threading.Lock()
    running = peak = 0

    def work(item: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return item * 2

    results = dict(run_bounded(range(40), work, concurrency=4))
    assert results == {i: i * 2 for i in range(40)} and peak == 4


def test_no_landing_folder_is_created_by_failures(server: MirrorHttpServer, tmp_path: Path) -> None:
    bad = json.dumps({"pmcid": "PMC9", "version": 1, "xml_url": f"s3://{BUCKET}/PMC9.1/PMC9.1.xml"}).encode()
    writer = LandingWriter(str(tmp_path / "landing"), "r")
    outcome = fetch_cloud_version(fetcher(f"{server.url}/cloud"), writer, bad, None, CloudOptions(BUCKET))
    assert (outcome.status, outcome.error_kind) == ("failed", "not_found")
    assert not (tmp_path / "landing").exists()
