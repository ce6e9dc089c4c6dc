"""The run report's pure values: funnel stages with quarantine reasons, size buckets, top-n, manifests."""

from __future__ import annotations

import json

import pytest

from biomedica_spark.quarantine import Stage
from biomedica_spark.run_report.funnel import (
    FUNNEL_STAGES,
    QUARANTINE_STAGE_OF,
    DuplicateCounts,
    Reason,
    build_funnel,
    cluster_size_histogram,
    duplicate_bars,
    labelled,
    top_n,
)
from biomedica_spark.run_report.manifests import (
    ExportedSubset,
    UnreadableManifest,
    exported_samples,
    parse_manifest,
)


def test_funnel_keeps_pipeline_order_and_marks_missing_stages() -> None:
    funnel = build_funnel({"archives": 40, "articles": 52, "figures": 0}, [])
    assert [s.key for s in funnel.stages] == [key for key, _ in FUNNEL_STAGES]
    by_key = {s.key: s for s in funnel.stages}
    assert by_key["archives"].count == 40
    assert by_key["figures"].count == 0  # zero is a count, not a missing stage
    assert by_key["images"].count is None
    assert by_key["exported_samples"].count is None


def test_funnel_places_each_quarantine_stage_and_sorts_reasons() -> None:
    reasons = [
        Reason("xml", "xml_syntax", 2),
        Reason("archive", "corrupt_archive", 1),
        Reason("member", "unsafe_member_path", 5),
        Reason("image", "image_corrupt", 3),
        Reason("export", "image_missing", 1),
    ]
    funnel = build_funnel({"archives": 10}, reasons)
    by_key = {s.key: s for s in funnel.stages}
    assert [r.reason_code for r in by_key["archives"].quarantined] == [
        "unsafe_member_path",
        "corrupt_archive",
    ]
    assert by_key["archives"].quarantined_total == 6
    assert [r.reason_code for r in by_key["articles"].quarantined] == ["xml_syntax"]
    assert by_key["images"].quarantined_total == 3
    assert by_key["exported_samples"].quarantined_total == 1
    assert by_key["clusters"].quarantined == ()
    assert funnel.unplaced == ()


def test_unknown_quarantine_stage_is_kept_apart_not_dropped() -> None:
    funnel = build_funnel({}, [Reason("martian", "odd", 4)])
    assert funnel.unplaced == (Reason("martian", "odd", 4),)
    assert sum(s.quarantined_total for s in funnel.stages) == 0


def test_every_quarantine_stage_the_pipeline_records_has_a_funnel_stage() -> None:
    assert {stage.value for stage in Stage} <= set(QUARANTINE_STAGE_OF)
    assert set(QUARANTINE_STAGE_OF.values()) <= {key for key, _ in FUNNEL_STAGES}


def test_unknown_funnel_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown funnel stages: bogus"):
        build_funnel({"bogus": 1}, [])


def test_cluster_size_histogram_buckets_and_stops_at_the_largest_used() -> None:
    histogram = cluster_size_histogram({1: 30, 2: 4, 3: 1, 7: 2, 9: 1})
    assert histogram == [("1", 30), ("2", 4), ("3", 1), ("4", 0), ("5–9", 3)]
    assert cluster_size_histogram({250: 1})[-1] == ("100+", 1)
    assert cluster_size_histogram({}) == []


def test_cluster_size_histogram_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cluster_size_histogram({0: 3})


def test_duplicate_bars() -> None:
    bars = dict(
        duplicate_bars(
            DuplicateCounts(
                figures_with_image=100,
                distinct_figure_images=90,
                images=90,
                clusters=80,
                pairs=100,
                canonical_pairs=85,
            )
        )
    )
    assert list(bars.values()) == [10, 10, 15]


def test_top_n_sums_the_tail_and_breaks_ties_by_name() -> None:
    items = [("b", 3), ("a", 3), ("c", 1), ("d", 1), ("e", 5)]
    assert top_n(items, 3) == [("e", 5), ("a", 3), ("b", 3), ("(other)", 2)]
    assert top_n(items, 10) == sorted(items, key=lambda i: (-i[1], i[0]))
    with pytest.raises(ValueError):
        top_n(items, 0)


def test_labelled_merges_null_and_empty_labels() -> None:
    assert sorted(labelled([(None, 2), ("", 1), ("microscopy", 4)])) == [
        ("(unlabelled)", 3),
        ("microscopy", 4),
    ]


def _manifest(**changes: object) -> str:
    data: dict[str, object] = {
        "subset": "commercial",
        "config": {"seed": 0},
        "input_versions": {"pairs": 3, "images": 1},
        "package_version": "0.1.0",
        "total_samples": 12,
        "total_bytes": 3456,
        "failed": {"image_missing": 1},
        "shards": [{"name": "000000.tar", "samples": 12, "bytes": 3456, "sha256": "ab"}],
    }
    data.update(changes)
    return json.dumps(data)


def test_parse_manifest_reads_the_export_jobs_manifest() -> None:
    parsed = parse_manifest("out/commercial/manifest.json", _manifest())
    assert parsed == ExportedSubset(
        path="out/commercial/manifest.json",
        subset="commercial",
        samples=12,
        shards=1,
        bytes=3456,
        failed={"image_missing": 1},
        input_versions={"pairs": 3, "images": 1},
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"subset": "x", "shards": []}), "missing key 'total_samples'"),
        (_manifest(total_samples=-3), "total_samples must be a non-negative integer"),
        (_manifest(total_samples="12"), "total_samples must be a non-negative integer"),
        (_manifest(shards={"a": 1}), "shards is dict"),
        (_manifest(failed=[1]), "expected an object"),
        (b"\xff\xfe\x00", "not JSON"),
    ],
)
def test_bad_manifests_become_reasons_not_exceptions(text: str, problem: str) -> None:
    parsed = parse_manifest("m.json", text)
    assert isinstance(parsed, UnreadableManifest)
    assert problem in parsed.problem


def test_exported_samples_is_none_without_manifests() -> None:
    assert exported_samples([]) is None
    subset = parse_manifest("m", _manifest())
    assert isinstance(subset, ExportedSubset)
    assert exported_samples([subset, subset]) == 24
