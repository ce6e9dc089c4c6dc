"""Export filters and shard planning on small hand-made DataFrames (concept columns included)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.spark]

CANDIDATE_DDL = """
key string, pair_key string, article_key string, pmcid string, pmid string, doi string, figure_id string,
label string, caption string, title string, authors array<string>, journal string, pub_year int,
article_type string, license_code string, license_url string, license_subset string, cluster_id string,
image_sha256 string, kind string,
inline_refs array<struct<paragraph:string,section_title:string,xref_text:string>>,
is_canonical boolean, is_retracted boolean, has_own_permissions boolean, width int, height int,
byte_size bigint, subset string, panel_type string, global_concepts array<string>,
local_concepts array<string>, cluster_label_id int, concept_source string, concept_model_version string
"""


def _row(key: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "key": key,
        "pair_key": key,
        "caption": "A caption.",
        "is_canonical": True,
        "is_retracted": False,
        "has_own_permissions": False,
        "article_type": "research-article",
        "width": 200,
        "height": 100,
        "byte_size": 1000,
        "subset": "commercial",
    }
    base.update(values)
    return base


def _frame(spark, rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    schema = spark.createDataFrame([], CANDIDATE_DDL).schema
    return spark.createDataFrame([tuple(r.get(c) for c in schema.fieldNames()) for r in rows], schema)


def _settings(*overrides: str):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.export.settings import settings_from_config

    return settings_from_config(load_config(list(overrides)))


def test_every_filter_has_its_reason(spark) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.export.filters import apply_drop_reason

    rows = [
        _row("kept"),
        _row("legacy", is_retracted=None),  # unknown retraction flag: kept
        _row("no_image_row", width=None, height=None),  # kept: the writer quarantines it
        _row("dup", is_canonical=False),
        _row("retracted", is_retracted=True),
        _row("third", has_own_permissions=True),
        _row("erratum", article_type="correction"),
        _row("tiny", width=63),
        _row("empty", caption=""),
        _row("long", caption="x" * 51),
        _row("microscopy", panel_type="Microscopy", global_concepts=["cells"]),
        _row("xray", global_concepts=["x-ray"], local_concepts=["chest"]),
        _row("both", global_concepts=[None, "microscopy"], local_concepts=["chest"]),
    ]
    settings = _settings(
        "export.caption_max_chars=50",
        "export.concepts.include=[microscopy, x-ray, unlabelled]",
        "export.concepts.exclude=[chest]",
    )
    reasons = {r["key"]: r["drop_reason"] for r in apply_drop_reason(_frame(spark, rows), settings).collect()}
    assert reasons == {
        "kept": "concept_not_included",
        "legacy": "concept_not_included",
        "no_image_row": "concept_not_included",
        "dup": "not_canonical",
        "retracted": "retracted",
        "third": "third_party_permissions",
        "erratum": "article_type",
        "tiny": "image_too_small",
        "empty": "caption_too_short",
        "long": "caption_too_long",
        "microscopy": None,
        "xray": "concept_excluded",
        "both": "concept_excluded",
    }
    unfiltered = _settings(
        "export.canonical_only=false",
        "export.exclude_retracted=false",
        "export.exclude_third_party=false",
        "export.exclude_article_types=[]",
        "export.min_image_side=0",
        "export.caption_min_chars=0",
    )
    assert {r["drop_reason"] for r in apply_drop_reason(_frame(spark, rows), unfiltered).collect()} == {None}


def test_plan_numbers_shards_contiguously_and_respects_both_caps(spark) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.export.job import plan_shards

    rows = [_row(f"PMC{i}_1", byte_size=100 * (i % 7)) for i in range(300)]
    rows += [_row(f"PMC{i}_2", subset="other") for i in range(20)]
    settings = _settings("export.samples_per_shard=40", "export.max_shard_bytes=5000", "export.seed=9")
    plan = plan_shards(_frame(spark, rows), settings)
    planned = plan.rows.collect()
    assert plan.shards == {
        subset: len({r["shard"] for r in planned if r["subset"] == subset})
        for subset in ("commercial", "other")
    }
    for subset, total in (("commercial", 300), ("other", 20)):
        mine = sorted((r for r in planned if r["subset"] == subset), key=lambda r: (r["rank"], r["key"]))
        assert len(mine) == total
        shards = [r["shard"] for r in mine]
        assert shards == sorted(shards) and sorted(set(shards)) == list(range(max(shards) + 1))
        for shard in set(shards):
            members = [r for r in mine if r["shard"] == shard]
            assert len(members) <= 40
            # estimated bytes (image + caption + per-sample overhead) over the cap by at most one sample
            sizes = [
                (r["byte_size"] or 0) + len(r["caption"]) + 2048
                for r in rows
                if r["key"] in {m["key"] for m in members}
            ]
            assert sum(sizes) - max(sizes) < 5000
    again = plan_shards(_frame(spark, list(reversed(rows))), settings).rows.collect()
    assert {(r["key"], r["shard"]) for r in again} == {(r["key"], r["shard"]) for r in planned}
    capped = plan_shards(
        _frame(spark, rows), _settings("export.max_samples=25", "export.seed=9")
    ).rows.collect()
    first_25 = sorted(
        (r for r in planned if r["subset"] == "commercial"), key=lambda r: (r["rank"], r["key"])
    )[:25]
    assert {r["key"] for r in capped if r["subset"] == "commercial"} == {r["key"] for r in first_25}


@pytest.mark.parametrize("partitions", [1, 2, 7, 64])
def test_partition_routes_put_each_slot_alone_in_its_own_partition(spark, partitions: int) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from biomedica_spark.export.job import partition_routes

    routes = partition_routes(spark, partitions)
    frame = spark.createDataFrame(
        [(slot, route) for slot, route in enumerate(routes)], "slot int, route bigint"
    )
    landed = (
        frame.repartition(partitions, "route").select("slot", F.spark_partition_id().alias("p")).collect()
    )
    assert sorted((r["slot"], r["p"]) for r in landed) == [(p, p) for p in range(partitions)]
