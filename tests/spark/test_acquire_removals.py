"""Removals end to end: acquire -> extract -> dedup, then the article leaves the OA subset, and
acquire -> extract -> dedup again: its articles, figures and pairs are gone (Delta deletes: time travel
still shows them), and the pair it held canonical is re-elected in the article that shares its image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.pmc_mirror import MirrorHttpServer, build_mirror

pytestmark = [pytest.mark.spark, pytest.mark.delta, pytest.mark.corpus]


@pytest.fixture(scope="module")
def scenario(spark: Any, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from biomedica_spark.acquire.job import run_acquire
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.extract.job import run_extract

    tmp = tmp_path_factory.mktemp("removals")
    mirror = build_mirror(real_corpus_dir, tmp / "mirror", count=4)
    articles = [mirror.articles[k] for k in sorted(mirror.articles)]
    kept, removed = articles[3], articles[0]  # CC BY-NC and CC BY: the CC BY copy is canonical at first
    shared_name = sorted(removed.media)[0]
    kept.media[sorted(kept.media)[0]] = removed.media[shared_name]  # the same image in both articles
    mirror.put_cloud(kept)
    lake = tmp / "lake"

    def pairs(version: int | None = None) -> list[dict[str, Any]]:
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return [r.asDict() for r in reader.load(str(lake / "pairs")).collect()]

    def pmcids(table: str, version: int | None = None) -> set[str]:
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return {r["pmcid"] for r in reader.load(str(lake / table)).select("pmcid").collect()}

    def version(table: str) -> int:
        from delta.tables import DeltaTable

        return int(DeltaTable.forPath(spark, str(lake / table)).history(1).first()["version"])

    with MirrorHttpServer(mirror.root) as server:
        cfg = load_config(
            [f"landing.root={tmp / 'landing'}", f"lake.root={lake}", "spark.master='local[2]'",
             "acquire.source=pmc_cloud", f"acquire.cloud.endpoint={server.url}/cloud", "acquire.tasks=2",
             "acquire.backoff_base_s=0.01", "dedup.pair_key=image"]
        )  # fmt: skip
        run_acquire(spark, cfg)
        run_extract(spark, cfg)
        run_dedup(spark, cfg)
        before = {
            "pairs": pairs(),
            "articles": pmcids("articles"),
            "articles_version": version("articles"),
            "figures": pmcids("figures"),
        }
        mirror.update_cloud_json(removed.pmcid, 1, is_open_access=False)
        second = run_acquire(spark, cfg)
        removals = [r.asDict() for r in spark.read.format("delta").load(str(lake / "removals")).collect()]
        run_extract(spark, cfg)
        versions_after_extract = {t: version(t) for t in ("articles", "figures")}
        run_extract(spark, cfg)
        versions_after_rerun = {t: version(t) for t in ("articles", "figures")}
        run_dedup(spark, cfg)
        after = {"pairs": pairs(), "articles": pmcids("articles"), "figures": pmcids("figures")}
        history = pmcids("articles", before["articles_version"])
    yield {
        "removed": removed.pmcid,
        "kept": kept.pmcid,
        "before": before,
        "after": after,
        "second": second,
        "removals": removals,
        "history": history,
        "versions": (versions_after_extract, versions_after_rerun),
    }


def shared_pairs(pairs: list[dict[str, Any]], pmcids: set[str]) -> list[dict[str, Any]]:
    """The pairs of the image both articles hold."""
    by_sha: dict[str, set[str]] = {}
    for pair in pairs:
        by_sha.setdefault(pair["image_sha256"], set()).add(pair["pmcid"])
    shared = {sha for sha, owners in by_sha.items() if pmcids <= owners}
    return [p for p in pairs if p["image_sha256"] in shared]


def test_before_removal_the_commercial_copy_is_canonical(scenario: Any) -> None:
    both = {scenario["removed"], scenario["kept"]}
    pairs = shared_pairs(scenario["before"]["pairs"], both)
    canonical = [p for p in pairs if p["is_canonical"]]
    assert len(pairs) == 2 and [p["pmcid"] for p in canonical] == [scenario["removed"]]


def test_acquire_records_the_removal(scenario: Any) -> None:
    assert scenario["second"].removed == 1 and scenario["second"].fetched == 0
    (row,) = scenario["removals"]
    assert (row["pmcid"], row["reason"], row["lifted_at"]) == (scenario["removed"], "left_oa_subset", None)


def test_extract_deletes_the_article_and_its_figures(scenario: Any) -> None:
    removed = scenario["removed"]
    assert removed in scenario["before"]["articles"] and removed in scenario["before"]["figures"]
    assert removed not in scenario["after"]["articles"] and removed not in scenario["after"]["figures"]
    assert scenario["after"]["articles"] == scenario["before"]["articles"] - {removed}
    assert removed in scenario["history"]  # time travel still shows it


def test_a_second_extract_changes_nothing(scenario: Any) -> None:
    after_extract, after_rerun = scenario["versions"]
    assert after_extract == after_rerun


def test_dedup_drops_its_pairs_and_re_elects_the_canonical_pair(scenario: Any) -> None:
    pairs = scenario["after"]["pairs"]
    assert all(p["pmcid"] != scenario["removed"] for p in pairs)
    before_shared = shared_pairs(scenario["before"]["pairs"], {scenario["removed"], scenario["kept"]})
    sha = before_shared[0]["image_sha256"]
    (now,) = [p for p in pairs if p["image_sha256"] == sha]
    assert now["pmcid"] == scenario["kept"] and now["is_canonical"] and now["duplicate_of"] is None
