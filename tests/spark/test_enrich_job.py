"""The enrich job: PubMed files -> `pubmed` -> `articles` columns, by a join on PMID, incrementally."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from biomedica_spark.enrich.job import run_enrich
from biomedica_spark.lake.delta_io import Lake, padded_to_schema
from biomedica_spark.samples.pubmed import PubmedSample, pubmed_file

pytestmark = [pytest.mark.spark, pytest.mark.delta]

HUMANS = ("D006801", "Humans", True, ())
LIVER = ("D008099", "Liver", False, (("Q000000981", "diagnostic imaging", True),))


def _articles(spark: Any, lake: Lake, rows: list[tuple[str, str | None, str]]) -> None:
    """`articles` rows with only key, PMID and title set (the rest null), as extract would leave them."""
    given = spark.createDataFrame(rows, "article_key string, pmid string, title string")
    lake.ensure(["articles"])
    lake.upsert("articles", padded_to_schema(given, "articles"))


def _write(root: Path, name: str, data: bytes) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(data)


def _enriched(lake: Lake) -> dict[str, dict[str, Any]]:
    return {r["article_key"]: r.asDict(recursive=True) for r in lake.read("articles").collect()}


def test_records_land_on_their_pmids_with_updates_and_deletions_applied(
    spark: Any, lake_config: Any, tmp_path: Path
) -> None:
    pubmed_root = tmp_path / "pubmed"
    cfg = lake_config(f"pubmed.root={pubmed_root}")
    lake = Lake(spark, cfg)
    _articles(
        spark,
        lake,
        [
            ("PMC1", "100", "updated later"),
            ("PMC2", "200", "deleted later"),
            ("PMC3", "300", "one heading, structured abstract"),
            ("PMC4", None, "no pmid"),
            ("PMC5", "999", "not in the files"),
        ],
    )
    # The baseline holds the records in another order than the articles.
    baseline = [
        PubmedSample(
            "300",
            "Three",
            abstract_sections=[("BACKGROUND", "Why."), ("RESULTS", "What.")],
            mesh=[HUMANS],
            publication_types=["Journal Article", "Review"],
            chemicals=[("D014867", "Water", "059QF0KO0R")],
            grants=[("R01 GM000001", "NIGMS NIH HHS", "United States")],
            journal_iso="J Three",
        ),
        PubmedSample("200", "Two", mesh=[LIVER]),
        PubmedSample("100", "One (old)", mesh=[HUMANS], journal_iso="J Old"),
    ]
    _write(pubmed_root / "baseline", "pubmed26n0001.xml.gz", pubmed_file(baseline))
    update = [PubmedSample("100", "One (new)", mesh=[LIVER, HUMANS], journal_iso="J New")]
    _write(pubmed_root / "updatefiles", "pubmed26n0002.xml.gz", pubmed_file(update, deleted_pmids=["200"]))
    _write(pubmed_root / "updatefiles", "pubmed26n0002.xml.gz.md5", b"MD5(pubmed26n0002.xml.gz)= 0\n")
    truncated = pubmed_file([PubmedSample(str(i), f"t{i}") for i in range(5000, 5400)])
    _write(pubmed_root / "updatefiles", "pubmed26n0003.xml.gz", truncated[: len(truncated) // 2])

    first = run_enrich(spark, cfg)

    assert first.counts["files_listed"] == 3
    assert first.counts["files_ignored"] == 1
    pubmed = {r["pmid"]: r for r in lake.read("pubmed").collect()}
    assert pubmed["100"]["title"] == "One (new)"
    assert pubmed["200"]["is_deleted"] is True
    assert pubmed["300"]["abstract"] == "BACKGROUND: Why.\nRESULTS: What."
    quarantined = lake.read("quarantine").where("source_path LIKE '%pubmed26n0003%'").collect()
    assert [q["reason_code"] for q in quarantined] == ["corrupt_archive"]
    assert 0 < sum(1 for pmid in pubmed if pmid.startswith("5")) < 400  # read up to the break

    articles = _enriched(lake)
    one, three = articles["PMC1"], articles["PMC3"]
    assert [m["descriptor"] for m in one["mesh_terms"]] == ["Liver", "Humans"]
    assert one["mesh_terms"][0]["qualifiers"] == [
        {"name": "diagnostic imaging", "ui": "Q000000981", "major_topic": True}
    ]
    assert one["journal_iso"] == "J New"
    assert [(m["descriptor"], m["major_topic"]) for m in three["mesh_terms"]] == [("Humans", True)]
    assert three["publication_types"] == ["Journal Article", "Review"]
    assert three["chemicals"] == [{"name": "Water", "ui": "D014867", "registry_number": "059QF0KO0R"}]
    assert three["grants"][0]["grant_id"] == "R01 GM000001"
    assert three["pubmed_abstract"] == "BACKGROUND: Why.\nRESULTS: What."
    assert three["title"] == "one heading, structured abstract"  # the JATS values stay
    for untouched in ("PMC2", "PMC4", "PMC5"):
        assert articles[untouched]["mesh_terms"] is None
    assert first.counts["articles_without_pmid"] == 1
    assert first.counts["articles_pmid_not_in_pubmed"] == 2  # 200 (deleted) and 999
    assert first.counts["articles_enrichment_changed"] == 2

    # Nothing new: nothing parsed, no data table commit.
    versions = lake.versions(["pubmed", "articles", "pubmed_files", "quarantine"])
    second = run_enrich(spark, cfg)
    assert second.counts["files_to_parse"] == 0
    assert second.counts["articles_enrichment_changed"] == 0
    assert lake.versions(["pubmed", "articles", "pubmed_files", "quarantine"]) == versions

    # A later file brings 200 back and reads an older file's stale copy of 100: only the new file is parsed.
    _write(
        pubmed_root / "updatefiles", "pubmed26n0004.xml.gz", pubmed_file([PubmedSample("200", "Two again")])
    )
    _write(
        pubmed_root / "old", "pubmed25n1200.xml", gzip.decompress(pubmed_file([PubmedSample("100", "stale")]))
    )
    third = run_enrich(spark, cfg)
    assert third.counts["files_to_parse"] == 2
    pubmed = {r["pmid"]: r for r in lake.read("pubmed").collect()}
    assert (pubmed["200"]["title"], pubmed["200"]["is_deleted"]) == ("Two again", False)
    assert pubmed["100"]["title"] == "One (new)"
    assert _enriched(lake)["PMC2"]["mesh_terms"] == []  # enriched now: a record with no headings
