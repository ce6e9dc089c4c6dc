"""The run report page: self-contained, every lake value escaped, the funnel numbers where a reader looks."""

from __future__ import annotations

import re

from biomedica_spark.run_report.funnel import Reason, build_funnel
from biomedica_spark.run_report.html import ReportData, RunRow, bar_chart, format_count, render_report
from biomedica_spark.run_report.manifests import ExportedSubset, UnreadableManifest
from tests.support.report_page import ReportPage

HOSTILE = '<script>alert("x")</script>'
ATTRIBUTE_BREAKER = '"><img src=x onerror=alert(1)>'


def _data(**changes: object) -> ReportData:
    funnel = build_funnel(
        {
            "archives": 40,
            "articles": 1234,
            "figures": 5678,
            "images": 4000,
            "clusters": 3500,
            "canonical_pairs": 3000,
            "exported_samples": None,
        },
        [Reason("xml", "xml_syntax", 2), Reason("image", HOSTILE, 1), Reason(ATTRIBUTE_BREAKER, "odd", 7)],
    )
    values: dict[str, object] = {
        "title": "run report",
        "lake_root": "/lake",
        "generated_at": "2026-01-01 00:00:00 UTC",
        "package_version": "0.1.0",
        "funnel": funnel,
        "cluster_sizes": [("1", 30), ("2", 4)],
        "duplicates": [("exact", 3), ("near", 2)],
        "join_reasons": [("alone", 30), ("perceptual", 5)],
        "global_concepts": [(HOSTILE, 9), ("microscopy", 3)],
        "panel_types": [("single", 7), ("(unlabelled)", 5)],
        "concept_sources": [("expert", 4)],
        "exports": [
            ExportedSubset("o/commercial/manifest.json", "commercial", 25, 1, 999, {}, {"pairs": 4}),
        ],
        "unreadable_manifests": [UnreadableManifest("o/x/manifest.json", f"not JSON: {HOSTILE}")],
        "export_root": "o",
        "table_versions": {"articles": 3, "pairs": 4},
        "runs": [
            RunRow(
                "r1", "extract", "ok", "2026-01-01 00:00:00", "2026-01-01 00:01:00", 60.0, {}, {"articles": 3}
            ),
            RunRow("r2", "export", "failed", "2026-01-01 00:02:00", None, None, {"pairs": 4}, {}, HOSTILE),
        ],
    }
    values.update(changes)
    return ReportData(**values)  # type: ignore[arg-type]


def _parse(page: str) -> ReportPage:
    parsed = ReportPage()
    parsed.feed(page)
    parsed.close()
    return parsed


def test_funnel_rows_carry_the_counts_in_order() -> None:
    page = render_report(_data())
    parsed = _parse(page)
    assert parsed.counts == {
        "archives": "40",
        "articles": "1,234",
        "figures": "5,678",
        "images": "4,000",
        "clusters": "3,500",
        "canonical_pairs": "3,000",
        "exported_samples": "—",
    }
    order = [m.group(1) for m in re.finditer(r'data-stage="([a-z_]+)"', page)]
    assert order == list(parsed.counts)


def test_hostile_strings_are_text_never_markup() -> None:
    page = render_report(_data(title=HOSTILE, lake_root=ATTRIBUTE_BREAKER))
    parsed = _parse(page)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert not [name for name, _ in parsed.attributes if name.startswith("on")]
    assert "<script" not in page
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown to the reader as written
    assert ATTRIBUTE_BREAKER in text
    assert "&lt;script&gt;" in page


def test_page_is_self_contained() -> None:
    page = render_report(_data())
    parsed = _parse(page)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    urls = [value for name, value in parsed.attributes if name in ("src", "href") and value]
    assert urls == []
    assert "http://" not in page and "https://" not in page
    assert "@import" not in page and "url(" not in page


def test_sections_show_dedup_concepts_exports_lineage_and_problems() -> None:
    text = "".join(_parse(render_report(_data())).text)
    for expected in (
        "Near-duplicate clusters by size",
        "Exact vs near duplicates",
        "Global concepts among canonical pairs",
        "Panel types among canonical pairs",
        "microscopy",
        "commercial",
        "pairs v4",
        "articles v3",
        "60.0 s",
        "o/x/manifest.json",
        "xml_syntax",
        "Quarantine rows of other stages",
    ):
        assert expected in text, expected


def test_empty_lake_renders_placeholders() -> None:
    page = render_report(
        _data(
            funnel=build_funnel({}, []),
            cluster_sizes=[],
            duplicates=[],
            join_reasons=[],
            global_concepts=[],
            panel_types=[],
            concept_sources=[],
            exports=[],
            unreadable_manifests=[],
            table_versions={},
            runs=[],
            notes=["runs: AnalysisException: boom"],
        )
    )
    parsed = _parse(page)
    assert set(parsed.counts.values()) == {"—"}
    text = "".join(parsed.text)
    assert "no export manifest found" in text and "no runs recorded" in text and "no data" in text
    assert "runs: AnalysisException: boom" in text


def test_bar_chart_scales_bars_to_the_largest_value() -> None:
    svg = bar_chart([("a", 10), ("b", 5), ("c", 0)], "t")
    widths = [int(w) for w in re.findall(r'class="bar" x="\d+" y="\d+" width="(\d+)"', svg)]
    assert widths == [260, 130, 0]
    assert svg.count("<text") == 6  # a label and a value per bar


def test_format_count() -> None:
    assert format_count(None) == "—"
    assert format_count(0) == "0"
    assert format_count(1234567) == "1,234,567"
