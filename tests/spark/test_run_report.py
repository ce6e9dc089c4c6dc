"""The run report of the demo lake, loaded in headless Chromium: the funnel numbers on the rendered page
are the ones the Delta tables hold (counted here with delta-rs, not with the report's Spark code)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import pytest

from tests.support.report_page import ReportPage

pytestmark = [pytest.mark.spark, pytest.mark.delta]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: run `make chromium` (Debian's chromium package) for the run "
            "report's browser test"
        )
    return path


def _table(demo_lake, name: str, columns: list[str]):  # type: ignore[no-untyped-def]
    from deltalake import DeltaTable

    return DeltaTable(str(demo_lake.lake / name)).to_pyarrow_table(columns=columns)


def expected_funnel(demo_lake) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import pyarrow.compute as pc

    pairs = _table(demo_lake, "pairs", ["is_canonical"])
    clusters = _table(demo_lake, "image_clusters", ["cluster_id"])
    samples = 0
    for shard in sorted(demo_lake.export.glob("*/*.tar")):
        with tarfile.open(shard) as tar:
            samples += sum(1 for member in tar.getmembers() if member.name.endswith(".txt"))
    return {
        "archives": _table(demo_lake, "sources", ["source_path"]).num_rows,
        "articles": _table(demo_lake, "articles", ["article_key"]).num_rows,
        "figures": _table(demo_lake, "figures", ["article_key"]).num_rows,
        "images": _table(demo_lake, "images", ["image_sha256"]).num_rows,
        "clusters": pc.count_distinct(clusters["cluster_id"]).as_py(),
        "canonical_pairs": pc.sum(pc.cast(pairs["is_canonical"], "int64")).as_py(),
        "exported_samples": samples,
    }


@pytest.fixture(scope="module")
def rendered_dom(spark, demo_lake, tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    from biomedica_spark.run_report.job import run_report

    chromium = _chromium()  # fail before the Spark work when the browser is missing
    base = tmp_path_factory.mktemp("report")
    out = base / "report.html"
    assert run_report(spark, demo_lake.config(f"report.out={out}")) == str(out)
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={base / 'profile'}", "--dump-dom", out.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    assert "</html>" in done.stdout, done.stderr[-2000:]
    return done.stdout


def test_chromium_shows_the_funnel_numbers_of_the_lake(rendered_dom: str, demo_lake) -> None:  # type: ignore[no-untyped-def]
    page = ReportPage()
    page.feed(rendered_dom)
    expected = expected_funnel(demo_lake)
    shown = {stage: int(text.replace(",", "")) for stage, text in page.counts.items()}
    assert shown == expected
    assert expected["exported_samples"] > 0 and expected["clusters"] < expected["images"]


def test_chromium_shows_each_quarantine_reason_at_its_stage(rendered_dom: str, demo_lake) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.run_report.funnel import QUARANTINE_STAGE_OF

    page = ReportPage()
    page.feed(rendered_dom)
    quarantine = _table(demo_lake, "quarantine", ["stage", "reason_code"])
    grouped = quarantine.group_by(["stage", "reason_code"]).aggregate([([], "count_all")]).to_pylist()
    assert grouped, "the demo corpus plants broken archives: quarantine must not be empty"
    for row in grouped:
        text = " ".join(page.rows[QUARANTINE_STAGE_OF[row["stage"]]].split())
        assert f"{row['reason_code']} ({row['stage']}) {row['count_all']:,}" in text, text


def test_chromium_shows_charts_and_lineage(rendered_dom: str, demo_lake) -> None:  # type: ignore[no-untyped-def]
    page = ReportPage()
    page.feed(rendered_dom)
    assert {"funnel-section", "dedup", "concepts", "export", "lineage"} <= page.sections
    assert rendered_dom.count("<svg") >= 6 + 7  # six charts, one bar per funnel stage
    runs = _table(demo_lake, "runs", ["run_id", "job"]).to_pylist()
    for run in runs:
        assert f'data-run="{run["run_id"]}"' in rendered_dom
    assert re.search(r"Microscopy|microscopy", rendered_dom), "the expert labels reach the concept chart"
