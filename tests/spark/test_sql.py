"""Every query of the README's "Querying the lake" section runs against a demo lake and returns sensible
numbers (totals that match the tables they summarise), and `make sql`'s entry point prints a table."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from biomedica_spark.annotate.taxonomy import load_taxonomy
from biomedica_spark.lake.delta_io import Lake
from biomedica_spark.quarantine import Stage
from biomedica_spark.sql import main, register_tables, run_query

pytestmark = [pytest.mark.spark, pytest.mark.delta]

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Querying the lake"


def readme_queries() -> dict[str, str]:
    """The section's ```sql blocks, keyed by their first line (`-- what it answers`)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end >= 0 else len(text)]
    queries = {}
    for block in re.findall(r"```sql\n(.*?)```", section, flags=re.S):
        title, _, _ = block.partition("\n")
        assert title.startswith("-- "), f"a README query must start with a `-- title` line: {block[:60]!r}"
        queries[title[3:].strip()] = block
    return queries


Rows = list[dict[str, Any]]
Check = Callable[[Rows, Lake], None]


def _count(lake: Lake, table: str, where: str = "true") -> int:
    return int(lake.read(table).where(where).count())


def pairs_per_subset(rows: Rows, lake: Lake) -> None:
    assert sum(r["pairs"] for r in rows) == _count(lake, "pairs")
    assert sum(r["canonical_pairs"] for r in rows) == _count(lake, "pairs", "is_canonical")
    assert {r["license_subset"] for r in rows} <= {"commercial", "noncommercial", "other"}
    assert all(0 < r["canonical_pairs"] <= r["pairs"] and r["articles"] > 0 for r in rows)


def top_journals(rows: Rows, lake: Lake) -> None:
    assert 0 < len(rows) <= 10
    counts = [r["canonical_pairs"] for r in rows]
    assert counts == sorted(counts, reverse=True) and all(c > 0 for c in counts)
    assert sum(counts) <= _count(lake, "pairs", "is_canonical")
    assert all(r["articles"] <= r["canonical_pairs"] for r in rows)  # every article here has a pair


def reused_clusters(rows: Rows, lake: Lake) -> None:
    assert rows, "the demo corpus plants images reused across articles"
    assert all(r["articles"] > 1 and r["pairs"] >= r["articles"] for r in rows)
    assert all(len(r["articles_using_it"]) == r["articles"] for r in rows)
    top = rows[0]
    in_table = lake.read("pairs").where(f"cluster_id = '{top['cluster_id']}'")
    assert in_table.select("article_key").distinct().count() == top["articles"]


def figures_without_image(rows: Rows, lake: Lake) -> None:
    assert rows, "the demo corpus has figures whose graphic is missing"
    figures = lake.read("figures").join(
        lake.read("articles").select("article_key"), "article_key", "left_semi"
    )
    assert sum(r["without_image"] for r in rows) == figures.where("image_sha256 IS NULL").count()
    assert all(0 < r["without_image"] <= r["figures"] for r in rows)
    assert all(0 < r["pct_without_image"] <= 100 for r in rows)


def quarantine_reasons(rows: Rows, lake: Lake) -> None:
    assert rows, "the demo corpus has broken inputs"
    assert sum(r["items"] for r in rows) == _count(lake, "quarantine")
    stages = {r["stage"] for r in rows}
    assert "archive" in stages and stages <= {stage.value for stage in Stage}  # broken demo archives
    assert all(r["reason_code"] and r["items"] >= r["sources"] >= 0 for r in rows)


def concept_distribution(rows: Rows, lake: Lake) -> None:
    taxonomy = load_taxonomy()
    assert all(taxonomy.global_concept(r["concept"]) is not None for r in rows)
    expert = {r["concept"].casefold() for r in rows if r["concept_source"] == "expert"}
    assert {"plots and charts", "microscopy"} <= expert  # the demo lake's two expert labels
    assert all(r["canonical_pairs"] > 0 for r in rows)
    assert sum(r["canonical_pairs"] for r in rows) >= _count(
        lake, "pairs", "is_canonical AND size(global_concepts) > 0"
    )


def cluster_sizes(rows: Rows, lake: Lake) -> None:
    assert sum(r["images"] for r in rows) == _count(lake, "image_clusters")
    assert all(r["images"] == r["clusters"] * r["cluster_size"] for r in rows)
    assert max(r["cluster_size"] for r in rows) > 1  # planted near-duplicates were found
    assert sum(r["joined_by_perceptual_hash"] for r in rows) > 0


def licence_and_retraction(rows: Rows, lake: Lake) -> None:
    assert sum(r["articles"] for r in rows) == _count(lake, "articles")
    assert {r["license_subset"] for r in rows} <= {"commercial", "noncommercial", "other"}
    assert {r["retraction"] for r in rows} <= {"retracted", "not retracted", "unknown"}


def caption_lengths(rows: Rows, lake: Lake) -> None:
    assert sum(r["canonical_pairs"] for r in rows) == _count(
        lake, "pairs", "is_canonical AND caption IS NOT NULL"
    )
    bounds = {"0-99": (0, 99), "100-299": (100, 299), "300-999": (300, 999), "1000+": (1000, 10**9)}
    for r in rows:
        low, high = bounds[r["caption_chars"]]
        assert low <= r["shortest"] <= r["longest"] <= high
    assert [r["shortest"] for r in rows] == sorted(r["shortest"] for r in rows)


def versions_per_run(rows: Rows, lake: Lake) -> None:
    jobs = {r["job"] for r in rows}
    assert {"extract", "dedup", "annotate.propagate", "export"} <= jobs
    current = lake.versions({r["table_name"] for r in rows})
    latest: dict[str, int] = {}
    for r in rows:  # ordered by start time: a later run never saw an older version of a table
        assert 0 <= r["version"] <= current[r["table_name"]]
        assert r["version"] >= latest.get(r["table_name"], 0)
        latest[r["table_name"]] = r["version"]
    assert latest["pairs"] == current["pairs"]


CHECKS: dict[str, Check] = {
    "pairs per licence subset": pairs_per_subset,
    "top journals by canonical pairs": top_journals,
    "image clusters reused by the most articles": reused_clusters,
    "figures without an image, by publisher and journal": figures_without_image,
    "quarantine reasons by stage": quarantine_reasons,
    "concept distribution over canonical pairs": concept_distribution,
    "near-duplicate cluster sizes": cluster_sizes,
    "articles by licence and retraction flag": licence_and_retraction,
    "caption length distribution of canonical pairs": caption_lengths,
    "table versions written by each run": versions_per_run,
}


def test_the_readme_has_ten_queries_each_with_a_check() -> None:
    assert sorted(readme_queries()) == sorted(CHECKS)
    assert len(CHECKS) == 10


@pytest.mark.parametrize("title", sorted(CHECKS))
def test_readme_query_returns_sensible_rows(spark, demo_lake, title: str) -> None:  # type: ignore[no-untyped-def]
    cfg = demo_lake.config()
    rows = [r.asDict(recursive=True) for r in run_query(spark, cfg, readme_queries()[title]).collect()]
    assert rows, f"{title}: no rows"
    CHECKS[title](rows, Lake(spark, cfg))


def test_every_lake_table_is_registered_under_the_database(spark, demo_lake) -> None:  # type: ignore[no-untyped-def]
    found = register_tables(spark, demo_lake.config())
    assert {"sources", "articles", "figures", "images", "pairs", "image_clusters", "runs"} <= set(found)
    listed = {r["tableName"] for r in spark.sql("SHOW TABLES IN biomedica").collect()}
    assert set(found) <= listed


def test_main_prints_a_table_and_refuses_writes_and_bad_sql(spark, demo_lake, capsys) -> None:  # type: ignore[no-untyped-def]
    overrides = [*demo_lake.overrides]
    query = "SELECT license_subset, count(*) AS pairs FROM biomedica.pairs GROUP BY 1 ORDER BY 1"
    assert main([*overrides, "--query", query]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["license_subset", "|", "pairs"]
    assert out[-1].endswith("rows)")
    total = sum(int(line.rsplit("|", 1)[1]) for line in out[2:-1])
    assert total == Lake(spark, demo_lake.config()).read("pairs").count()

    assert main([*overrides, "--query", "SELECT pair_key FROM biomedica.pairs", "--rows", "2"]) == 0
    assert "(2 rows (more not shown" in capsys.readouterr().out

    assert main([*overrides, "--query", "DELETE FROM biomedica.pairs"]) == 2
    assert "only read statements" in capsys.readouterr().err
    assert main([*overrides, "--query", "SELECT nope FROM biomedica.pairs"]) == 2
    assert "nope" in capsys.readouterr().err
