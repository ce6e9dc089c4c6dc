"""The extract job over a landing zone holding every hostile case beside good archives: the job finishes,
each case has exactly its quarantine rows in Delta, and every good article, figure and image is there."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hostile.corpus import good_archives, hostile_cases, write_landing

pytestmark = [pytest.mark.spark, pytest.mark.delta]


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[1]


def test_extract_job_over_the_hostile_corpus(spark, lake_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake

    cases = hostile_cases()
    good = good_archives(5)
    landing = tmp_path / "landing"
    write_landing(landing, cases, good)
    # Archives above 256 KiB (the bomb among them) take the streamed-by-path route, the others inline.
    cfg = lake_config("extract.inline_max_bytes=262144", "extract.batch_archives=16", landing=landing)
    result = run_extract(spark, cfg)
    assert result.listed == result.processed == len(cases) + len(good)

    lake = Lake(spark, cfg)
    quarantined: dict[str, Counter[tuple[str, str, str | None]]] = {}
    for row in lake.read("quarantine").collect():
        rows = quarantined.setdefault(_file_name(row["source_path"]), Counter())
        rows[(row["stage"], row["reason_code"], row["member_path"])] += 1
    with_image: dict[str, int] = {}
    for row in lake.read("figures").collect():
        with_image[row["article_key"]] = with_image.get(row["article_key"], 0) + (
            row["image_sha256"] is not None
        )
    article_keys = {row["article_key"] for row in lake.read("articles").select("article_key").collect()}
    statuses = {_file_name(r["source_path"]): r["status"] for r in lake.read("sources").collect()}

    for case in cases:
        expected = Counter((stage.value, reason.value, member) for stage, reason, member in case.quarantine)
        assert quarantined.get(case.file_name, Counter()) == expected, case.name
        for key, figures in case.figures_with_image.items():
            assert key in article_keys and with_image.get(key, 0) == figures, (case.name, key)
        assert statuses[case.file_name] in ("ok", "partial", "quarantined"), case.name
    for name, _ in good:
        pmcid = name.removesuffix(".tar.gz")
        assert (statuses[name], with_image[pmcid]) == ("ok", 1)
        assert name not in quarantined
    expected_images = sum(case.images for case in cases) + len(good)
    assert lake.read("images").count() == expected_images
