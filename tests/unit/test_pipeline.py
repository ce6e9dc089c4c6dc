"""The pipeline's decisions, as pure functions over `runs` records and table versions (no Spark)."""

from __future__ import annotations

import datetime as dt

import pytest

from biomedica_spark.config import load_config
from biomedica_spark.pipeline import (
    ANNOTATE_JOBS,
    STEPS,
    RunRecord,
    StepOutcome,
    annotate_not_configured,
    config_changes,
    judge_export,
    judge_listing,
    judge_recompute,
    select_steps,
    settings_from_config,
    version_changes,
)

T0 = dt.datetime(2026, 3, 1, 12, 0, 0)
DEDUP_INPUTS = ("images", "figures", "articles", "image_clusters")


def record(job: str, minute: int, read: dict[str, int], written: dict[str, int], config=None) -> RunRecord:  # type: ignore[no-untyped-def]
    return RunRecord(
        run_id=f"run-{job}-{minute}",
        job=job,
        started_at=T0 + dt.timedelta(minutes=minute),
        config=config if config is not None else {"dedup": {"phash64_max_distance": 8}},
        versions_read=read,
        versions_written=written,
    )


DEDUP_RUN = record(
    "dedup",
    0,
    read={"images": 3, "figures": 3, "articles": 3, "image_clusters": 1},
    written={"image_clusters": 2, "pairs": 2, "cluster_merges": 1},
)
AFTER_DEDUP = {"images": 3, "figures": 3, "articles": 3, "image_clusters": 2}
CONFIG = {"dedup": {"phash64_max_distance": 8}}


def test_dedup_is_skipped_when_its_inputs_are_where_its_last_run_left_them() -> None:
    decision = judge_recompute(["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, AFTER_DEDUP, CONFIG, "dedup")
    assert not decision.run
    assert "run-dedup-0" in decision.reason and "image_clusters v2" in decision.reason


def test_a_table_the_step_writes_itself_counts_at_its_written_version() -> None:
    # image_clusters was read at v1 and written to v2: v2 is not a change (v1 would be: someone reverted it).
    stale = {**AFTER_DEDUP, "image_clusters": 1}
    decision = judge_recompute(["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, stale, CONFIG, "dedup")
    assert decision.run and "image_clusters v2 -> v1" in decision.reason


def test_dedup_runs_when_an_input_moved_or_appeared_or_it_never_ran() -> None:
    moved = judge_recompute(
        ["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, {**AFTER_DEDUP, "images": 5}, CONFIG, "dedup"
    )
    assert moved.run and moved.reason.endswith("images v3 -> v5")
    fresh = judge_recompute(["dedup"], DEDUP_INPUTS, {}, AFTER_DEDUP, CONFIG, "dedup")
    assert fresh.run and fresh.reason == "no successful dedup run yet"
    gone = {k: v for k, v in AFTER_DEDUP.items() if k != "figures"}
    assert (
        "figures v3 -> none"
        in judge_recompute(["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, gone, CONFIG, "dedup").reason
    )


def test_dedup_runs_when_its_config_section_changed_but_not_for_other_sections() -> None:
    changed = {"dedup": {"phash64_max_distance": 6}, "export": {"seed": 1}}
    decision = judge_recompute(["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, AFTER_DEDUP, changed, "dedup")
    assert decision.run and "dedup.phash64_max_distance" in decision.reason
    other = {"dedup": {"phash64_max_distance": 8}, "export": {"seed": 1}}
    assert not judge_recompute(["dedup"], DEDUP_INPUTS, {"dedup": DEDUP_RUN}, AFTER_DEDUP, other, "dedup").run


ANNOTATE_INPUTS = ("images", "image_clusters", "pairs", "image_embeddings", "concept_clusters")
ANNOTATE_CONFIG = {"annotate": {"step": "all", "k": 20}}


def annotate_chain(start: int = 0, clusters_at_embed: int = 2) -> dict[str, RunRecord]:
    base = {"images": 3, "image_clusters": 2, "pairs": 2, "image_embeddings": 0, "concept_clusters": 0}
    embed = record(
        "annotate.embed",
        start,
        {**base, "image_clusters": clusters_at_embed},
        {"image_embeddings": 1},
        ANNOTATE_CONFIG,
    )
    cluster = record(
        "annotate.cluster",
        start + 1,
        {**base, "image_embeddings": 1},
        {"concept_clusters": 1},
        ANNOTATE_CONFIG,
    )
    sheets = record(
        "annotate.sheets",
        start + 2,
        {**base, "image_embeddings": 1, "concept_clusters": 1},
        {},
        ANNOTATE_CONFIG,
    )
    propagate = record(
        "annotate.propagate",
        start + 3,
        {**base, "image_embeddings": 1, "concept_clusters": 1},
        {"pairs": 3},
        ANNOTATE_CONFIG,
    )
    return {r.job: r for r in (embed, cluster, sheets, propagate)}


AFTER_ANNOTATE = {"images": 3, "image_clusters": 2, "pairs": 3, "image_embeddings": 1, "concept_clusters": 1}


def test_annotate_is_skipped_after_one_complete_in_order_sequence() -> None:
    decision = judge_recompute(
        ANNOTATE_JOBS, ANNOTATE_INPUTS, annotate_chain(), AFTER_ANNOTATE, ANNOTATE_CONFIG, "annotate"
    )
    assert not decision.run and "annotate.propagate" in decision.reason


def test_annotate_ignores_its_step_key_but_not_other_settings() -> None:
    embed_only = {"annotate": {"step": "embed", "k": 20}}
    assert not judge_recompute(
        ANNOTATE_JOBS,
        ANNOTATE_INPUTS,
        annotate_chain(),
        AFTER_ANNOTATE,
        embed_only,
        "annotate",
        ignore=("step",),
    ).run
    other_k = {"annotate": {"step": "all", "k": 50}}
    decision = judge_recompute(
        ANNOTATE_JOBS,
        ANNOTATE_INPUTS,
        annotate_chain(),
        AFTER_ANNOTATE,
        other_k,
        "annotate",
        ignore=("step",),
    )
    assert decision.run and "annotate.k" in decision.reason


def test_annotate_runs_when_a_step_is_missing_or_out_of_order() -> None:
    chain = annotate_chain()
    del chain["annotate.sheets"]
    decision = judge_recompute(
        ANNOTATE_JOBS, ANNOTATE_INPUTS, chain, AFTER_ANNOTATE, ANNOTATE_CONFIG, "annotate"
    )
    assert decision.run and decision.reason == "no successful annotate.sheets run yet"
    chain = annotate_chain()
    chain["annotate.embed"] = annotate_chain(start=10)["annotate.embed"]  # a lone embed run afterwards
    decision = judge_recompute(
        ANNOTATE_JOBS, ANNOTATE_INPUTS, chain, AFTER_ANNOTATE, ANNOTATE_CONFIG, "annotate"
    )
    assert decision.run and "ran before the last annotate.embed" in decision.reason


def test_annotate_runs_when_an_earlier_step_saw_other_clusters_than_there_are_now() -> None:
    # embed read image_clusters v1; the chain never writes image_clusters, so v2 now means dedup ran since.
    decision = judge_recompute(
        ANNOTATE_JOBS,
        ANNOTATE_INPUTS,
        annotate_chain(clusters_at_embed=1),
        AFTER_ANNOTATE,
        ANNOTATE_CONFIG,
        "annotate",
    )
    assert (
        decision.run and "annotate.embed" in decision.reason and "image_clusters v1 -> v2" in decision.reason
    )


def test_annotate_runs_when_dedup_rewrote_pairs_after_it() -> None:
    decision = judge_recompute(
        ANNOTATE_JOBS,
        ANNOTATE_INPUTS,
        annotate_chain(),
        {**AFTER_ANNOTATE, "pairs": 4},
        ANNOTATE_CONFIG,
        "annotate",
    )
    assert decision.run and "pairs v3 -> v4" in decision.reason


def test_listing_jobs_run_for_pending_files_or_moved_watched_tables() -> None:
    extract = record("extract", 0, {"sources": 4, "removals": 2}, {"sources": 5, "articles": 5})
    assert judge_listing("archives", 3, 40, extract, {"removals": 2}, ["removals"]).reason == (
        "3 of 40 archives new or changed"
    )
    moved = judge_listing("archives", 0, 40, extract, {"removals": 3}, ["removals"])
    assert moved.run and "removals v2 -> v3" in moved.reason
    done = judge_listing("archives", 0, 40, extract, {"removals": 2}, ["removals"])
    assert not done.run and "all 40 archives done" in done.reason
    assert judge_listing("archives", 0, 40, None, {}, ["removals"]).run
    # enrich writes articles itself: its own write is not a change, extract's later one is.
    enrich = record("enrich", 0, {"articles": 5, "pubmed": 1}, {"articles": 6, "pubmed": 2})
    assert not judge_listing(
        "pubmed files", 0, 2, enrich, {"articles": 6, "pubmed": 2}, ["articles", "pubmed"]
    ).run
    assert judge_listing(
        "pubmed files", 0, 2, enrich, {"articles": 7, "pubmed": 2}, ["articles", "pubmed"]
    ).run


def test_export_is_skipped_only_when_every_subset_is_complete() -> None:
    versions = {"pairs": 4, "articles": 3, "images": 2}
    tables = ("pairs", "articles", "images")
    done = judge_export({"commercial": "complete", "other": "complete"}, versions, tables)
    assert not done.run and "pairs v4, articles v3, images v2" in done.reason
    partial = judge_export({"commercial": "complete", "other": "resume"}, versions, tables)
    assert partial.run and partial.reason == "other resume"
    assert judge_export({"commercial": "conflicting"}, versions, tables).run


def test_steps_are_validated_and_put_in_pipeline_order() -> None:
    assert select_steps(["export", "extract", "dedup"]) == ("extract", "dedup", "export")
    with pytest.raises(SystemExit, match="unknown step"):
        select_steps(["extract", "dedupe"])
    settings = settings_from_config(load_config([]))
    assert settings.steps == STEPS and not settings.acquire and settings.force == ()
    with pytest.raises(SystemExit, match="empty"):
        settings_from_config(load_config(["pipeline.steps=[]"]))
    with pytest.raises(SystemExit, match=r"pipeline.force: unknown step\(s\) all"):
        settings_from_config(load_config(["pipeline.force=[all]"]))


def test_enrich_comes_before_dedup_which_reads_the_articles_it_rewrites() -> None:
    assert STEPS.index("enrich") < STEPS.index("dedup") < STEPS.index("annotate") < STEPS.index("export")


def test_annotate_needs_weights_only_for_dinov2() -> None:
    assert annotate_not_configured("handcrafted", None) is None
    assert annotate_not_configured("dinov2", "/models/dinov2.pth") is None
    assert "weights_path" in (annotate_not_configured("dinov2", None) or "")


def test_config_changes_and_version_changes_name_what_differs() -> None:
    before = {"dedup": {"a": 1, "nested": {"b": 2}}, "step": 1}
    now = {"dedup": {"a": 1, "nested": {"b": 3}, "c": 4}}
    assert config_changes(before, now, "dedup") == ["dedup.c", "dedup.nested.b"]
    assert config_changes(before, now, "dedup", ignore=("c",)) == ["dedup.nested.b"]
    assert version_changes({"a": 1, "b": 2}, {"a": 1, "c": 0}, ["a", "b", "c"]) == [
        "b v2 -> none",
        "c none -> v0",
    ]


def test_outcome_line_shows_step_action_time_and_reason() -> None:
    line = StepOutcome("dedup", "skipped", "inputs unchanged", 1.25).line()
    assert line.split()[:4] == ["pipeline", "dedup", "skipped", "1.2"] and line.endswith("inputs unchanged")
