"""The acquire job on Spark against loopback servers: both sources fetch the fixture mirror completely,
a re-run fetches and writes nothing, a third run after the mirror changed fetches exactly the changes,
and a run under injected faults ends with every article fetched or failed with a reason.

Each scenario runs once per module (the job is slow to start on a shared machine); the tests read what
the fixtures recorded after each run.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.pmc_mirror import Faults, MirrorHttpServer, MotoS3, build_mirror, fixture_articles

pytestmark = [pytest.mark.spark, pytest.mark.delta, pytest.mark.corpus]

COUNT = 8  # generated fixture articles; the legacy layout adds the corpus's 3 real packages


def landing_state(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under the landing zone (temporary folders included): size, mtime, md5."""
    state = {}
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if path.is_file():
            stat = path.stat()
            state[path.relative_to(root).as_posix()] = (
                stat.st_size,
                stat.st_mtime_ns,
                hashlib.md5(path.read_bytes()).hexdigest(),
            )
    return state


def ledger(spark: Any, lake: Path) -> dict[tuple[str, int | None], dict[str, Any]]:
    rows = spark.read.format("delta").load(str(lake / "fetch_ledger")).collect()
    return {(r["pmcid"], r["version"]): r.asDict() for r in rows}


@dataclass
class Run:
    result: Any
    landing: dict[str, tuple[int, int, str]]
    ledger: dict[tuple[str, int | None], dict[str, Any]]


def run(spark: Any, overrides: list[str], landing: Path, lake: Path) -> Run:
    from biomedica_spark.acquire.job import run_acquire
    from biomedica_spark.config import load_config

    cfg = load_config(
        [f"landing.root={landing}", f"lake.root={lake}", "spark.master='local[2]'", "acquire.tasks=2",
         "acquire.concurrency=4", "acquire.requests_per_second=200", "acquire.burst=20",
         "acquire.backoff_base_s=0.01", "acquire.backoff_max_s=0.1", "acquire.log_interval_s=5", *overrides]
    )  # fmt: skip
    result = run_acquire(spark, cfg)
    return Run(result, landing_state(landing), ledger(spark, lake))


# --- legacy over HTTP ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def legacy_runs(spark: Any, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("legacy")
    mirror = build_mirror(real_corpus_dir, tmp / "mirror", count=COUNT)
    with open(mirror.legacy / "oa_file_list.csv", "a") as file_list:
        file_list.write("oa_package/zz/zz/PMCX.tar.gz,broken,not-a-pmcid,2020-01-01,,CC BY\n")
    with MirrorHttpServer(mirror.root) as server:
        args = ["acquire.source=legacy", f"acquire.base_url={server.url}/legacy"]
        landing, lake = tmp / "landing", tmp / "lake"
        first = run(spark, args, landing, lake)
        second = run(spark, args, landing, lake)
        served = landing_state(mirror.legacy)  # what the mirror held for the first two runs
        extra = fixture_articles(real_corpus_dir, COUNT + 2)[COUNT:]
        for article in extra:
            mirror.put_legacy(article, "2026-02-01 08:00:00")
        changed = next(iter(mirror.articles.values()))
        changed.media = {name: data + b"\x00" for name, data in changed.media.items()}
        mirror.put_legacy(changed, "2026-02-02")
        third = run(spark, args, landing, lake)
        quarantine = spark.read.format("delta").load(str(lake / "quarantine")).collect()
    yield mirror, first, second, third, [a.pmcid for a in extra] + [changed.pmcid], quarantine, served


def test_legacy_fetches_every_package_byte_identical(legacy_runs: Any) -> None:
    mirror, first, *_, served = legacy_runs
    assert first.result.fetched == COUNT + 3 and first.result.failed == 0
    for pmcid, row in first.ledger.items():
        assert row["status"] == "fetched" and pmcid[1] is None
        package = mirror.legacy_rows[pmcid[0]][0]
        assert first.landing[f"legacy/{package}"][2] == served[package][2]  # byte-identical
    assert set(first.landing) == {f"legacy/{k}" for k in served if k.startswith("oa_package/")}


def test_legacy_rerun_fetches_and_writes_nothing(legacy_runs: Any) -> None:
    _, first, second, *_ = legacy_runs
    assert (second.result.fetched, second.result.articles_considered) == (0, 0)
    assert second.landing == first.landing and second.ledger == first.ledger


def test_legacy_third_run_fetches_exactly_the_new_and_updated(legacy_runs: Any) -> None:
    mirror, _, second, third, changed, *_ = legacy_runs
    assert third.result.fetched == len(changed) == 3
    touched = {k for k, v in third.landing.items() if second.landing.get(k) != v}
    assert touched == {f"legacy/{mirror.legacy_rows[p][0]}" for p in changed}
    fresh = {
        k[0] for k, row in third.ledger.items() if row["run_id"] == third.ledger[(changed[0], None)]["run_id"]
    }
    assert fresh == set(changed)


def test_legacy_bad_file_list_rows_are_quarantined(legacy_runs: Any) -> None:
    *_, quarantine, _ = legacy_runs
    assert [(q["stage"], q["reason_code"]) for q in quarantine] == [("acquire", "file_list_row")]
    assert "bad_accession_id" in quarantine[0]["detail"]


# --- cloud over the S3 API (moto) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def cloud_runs(spark: Any, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("cloud")
    mirror = build_mirror(real_corpus_dir, tmp / "mirror", count=COUNT)
    with MotoS3() as s3:
        s3.upload(mirror.cloud)
        args = [
            "acquire.source=pmc_cloud",
            "acquire.cloud.protocol=s3",
            f"acquire.cloud.endpoint={s3.endpoint}",
        ]
        landing, lake = tmp / "landing", tmp / "lake"
        first = run(spark, args, landing, lake)
        second = run(spark, args, landing, lake)
        extra = fixture_articles(real_corpus_dir, COUNT + 2)[COUNT:]
        for article in extra:
            mirror.put_cloud(article)
        base = mirror.articles[sorted(mirror.articles)[1]]
        newer = type(base)(base.pmcid, base.xml, base.media, base.license_code, version=2)
        mirror.put_cloud(newer)
        s3.upload(mirror.cloud)
        third = run(spark, args, landing, lake)
    yield mirror, first, second, third, {(a.pmcid, 1) for a in extra} | {(newer.pmcid, 2)}


def archive_members(landing: Path, path: str) -> dict[str, bytes]:
    with tarfile.open(landing / path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_cloud_fetches_every_version_with_xml_json_and_figure_media(cloud_runs: Any) -> None:
    mirror, first, *_ = cloud_runs
    assert first.result.fetched == COUNT and first.result.failed == 0 and first.result.metadata_read == COUNT
    for (pmcid, version), article in mirror.articles.items():
        if (pmcid, version) not in first.ledger:
            continue  # added for the third run
        row = first.ledger[(pmcid, version)]
        assert row["status"] == "fetched" and row["license_code"] == article.license_code
        vid = f"{pmcid}.{version}"
        with tarfile.open(row["landing_path"]) as tar:
            names = set(tar.getnames())
            packed_json = json.loads(tar.extractfile(f"{vid}/{vid}.json").read())  # type: ignore[union-attr]
        assert names == {f"{vid}/{vid}.xml", f"{vid}/{vid}.json"} | {f"{vid}/{n}" for n in article.media}
        assert packed_json["LastModified"]  # extract orders versions by it


def test_cloud_rerun_fetches_and_writes_nothing(cloud_runs: Any) -> None:
    _, first, second, *_ = cloud_runs
    assert (second.result.fetched, second.result.metadata_read, second.result.articles_considered) == (
        0,
        0,
        0,
    )
    assert second.landing == first.landing and second.ledger == first.ledger


def test_cloud_third_run_fetches_exactly_new_articles_and_the_new_version(cloud_runs: Any) -> None:
    _, _, second, third, expected = cloud_runs
    assert third.result.fetched == len(expected) == 3
    touched = {k for k, v in third.landing.items() if second.landing.get(k) != v}
    assert touched == {f"pmc_cloud/{p[-3:]}/{p}.{v}.tar.gz" for p, v in expected}
    new_version = next(k for k in expected if k[1] == 2)
    assert third.ledger[(new_version[0], 1)]["status"] == "fetched"  # the old version stays as it was
    assert third.ledger[(new_version[0], 1)]["reason"] == "not_current"


# --- cloud over HTTPS with faults and a licence filter -----------------------------------------------
@pytest.fixture(scope="module")
def faulty_run(spark: Any, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("faults")
    mirror = build_mirror(real_corpus_dir, tmp / "mirror", count=12)
    doomed = sorted(p for p, _ in mirror.articles)[0]  # commercial (CC BY): one of its images never verifies
    faults = Faults(
        rate=0.10, seed=5, slow_s=1.5, always={next(iter(mirror.articles[(doomed, 1)].media)): "corrupt"}
    )
    with MirrorHttpServer(mirror.root, faults) as server:
        args = ["acquire.source=pmc_cloud", f"acquire.cloud.endpoint={server.url}/cloud", "acquire.retries=6",
                "acquire.timeout_s=1", "acquire.licenses=[commercial]"]  # fmt: skip
        landing, lake = tmp / "landing", tmp / "lake"
        result = run(spark, args, landing, lake)
        injected = dict(faults.injected)
    yield mirror, result, landing, injected, doomed


def test_faults_of_every_kind_were_injected(faulty_run: Any) -> None:
    *_, injected, _ = faulty_run
    assert {"slow", "http_500", "http_503", "http_429", "reset", "truncated", "corrupt"} <= set(injected)


def test_under_faults_every_article_is_fetched_or_failed_with_a_reason(faulty_run: Any) -> None:
    mirror, result, _, _, doomed = faulty_run
    commercial = {
        p for (p, _), a in mirror.articles.items() if a.license_code in ("CC BY", "CC0", "CC BY-SA")
    }
    statuses = {pmcid: row for (pmcid, _), row in result.ledger.items()}
    assert set(statuses) == {p for p, _ in mirror.articles}
    for pmcid, row in statuses.items():
        if pmcid not in commercial:
            assert (row["status"], row["reason"]) == ("skipped", "license_excluded")
        elif pmcid == doomed:
            assert (row["status"], row["error_kind"]) == ("failed", "corrupt") and "md5" in row["error"]
        else:
            assert row["status"] == "fetched", row
    assert result.result.failed == 1


def test_nothing_corrupt_in_the_landing_zone(faulty_run: Any) -> None:
    mirror, result, landing, *_ = faulty_run
    assert all(not k.startswith("_") for k in result.landing)
    for key in result.landing:
        members = archive_members(landing, key)
        vid = Path(key).name.removesuffix(".tar.gz")
        article = mirror.articles[(vid.split(".")[0], int(vid.split(".")[1]))]
        assert members[f"{vid}/{vid}.xml"] == article.xml
        assert {
            n.split("/", 1)[1]: d for n, d in members.items() if not n.endswith((".xml", ".json"))
        } == article.media


# --- cloud over HTTPS: a list_prefix slice, a paginated listing, and acquire.limit --------------------
SLICE = "PMC11"  # 8 of the first 12 fixture articles; 5 of them commercial


@pytest.fixture(scope="module")
def limited_runs(
    spark: Any, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("limit")
    mirror = build_mirror(real_corpus_dir, tmp / "mirror", count=12)
    base = mirror.articles[("PMC1180855", 1)]  # CC BY, in the slice: its version 2 becomes current
    assert base.license_code == "CC BY"
    mirror.put_cloud(type(base)(base.pmcid, base.xml, base.media, base.license_code, version=2))
    with MirrorHttpServer(mirror.root) as server:
        server.page_size = 2  # the slice's 9 version keys take 5 listing pages
        args = [
            "acquire.source=pmc_cloud",
            f"acquire.cloud.endpoint={server.url}/cloud",
            f"acquire.cloud.list_prefix={SLICE}",
            "acquire.licenses=[commercial]",
            "acquire.batch_items=3",
        ]
        landing, lake = tmp / "landing", tmp / "lake"
        first = run(spark, [*args, "acquire.limit=2"], landing, lake)
        pages = server.listing_pages
        second = run(spark, args, landing, lake)
    yield mirror, first, second, pages


def test_the_listing_enumerates_every_version_of_the_slice_page_by_page(limited_runs: Any) -> None:
    mirror, first, second, pages = limited_runs
    in_slice = [key for key in mirror.articles if key[0].startswith(SLICE)]
    assert len(in_slice) == 9 and len(mirror.articles) == 13
    assert first.result.listed == second.result.listed == len(in_slice)  # the limit does not cut listing
    assert pages == 5
    assert {p for p, _ in second.ledger} == {p for p, _ in in_slice}  # nothing outside the slice


def test_acquire_limit_bounds_the_fetches_and_the_json_reads(limited_runs: Any) -> None:
    _, first, *_ = limited_runs
    assert (first.result.fetched, first.result.failed) == (2, 0)
    fetched = ("PMC1140370", "PMC1166548")  # the first two commercial articles of the slice
    assert sorted(first.landing) == [f"pmc_cloud/{p[-3:]}/{p}.1.tar.gz" for p in fetched]
    # Chunks of 3 articles in PMCID order: the limit is reached in the second chunk, so the third is
    # neither read nor recorded; the commercial version the limit cut is pending.
    assert first.result.metadata_read == 7
    statuses = {key: row["status"] for key, row in first.ledger.items()}
    assert statuses[("PMC1180855", 2)] == "pending" and statuses[("PMC1180855", 1)] == "skipped"
    assert not {("PMC1181811", 1), ("PMC1193530", 1)} & set(statuses)
    assert sorted(k for k, s in statuses.items() if s == "fetched") == [("PMC1140370", 1), ("PMC1166548", 1)]


def test_the_next_run_fetches_the_rest_of_the_slice_and_nothing_twice(limited_runs: Any) -> None:
    mirror, first, second, _ = limited_runs
    commercial = {
        key
        for key, a in mirror.articles.items()
        if key[0].startswith(SLICE) and a.license_code in ("CC BY", "CC0", "CC BY-SA")
    } - {("PMC1180855", 1)}  # not current: version 2 is
    assert second.result.fetched == len(commercial) - 2 == 3 and second.result.metadata_read == 2
    landed = {(Path(k).name.split(".")[0], int(Path(k).name.split(".")[1])) for k in second.landing}
    assert landed == commercial
    assert all(second.landing[k] == v for k, v in first.landing.items())  # first run's archives untouched
    assert {k for k, row in second.ledger.items() if row["status"] == "fetched"} == commercial
