"""Every hostile case through explode_archive, read inline and streamed by path: exactly the expected
quarantine rows, and the rest of the archive still becomes articles, figures and images."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from pathlib import Path

import pytest

from biomedica_spark.extract.explode import ArchiveInput, ExplodedArchive, ExtractSettings, explode_archive
from hostile.corpus import HostileCase, hostile_cases, jpeg

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
CASES = {case.name: case for case in hostile_cases()}


def explode(case: HostileCase, tmp_path: Path, streamed: bool) -> ExplodedArchive:
    if streamed:
        path = tmp_path / case.file_name
        path.write_bytes(case.data)
        item = ArchiveInput(str(path), len(case.data), NOW, None)
    else:
        item = ArchiveInput(f"file:/landing/{case.file_name}", len(case.data), NOW, case.data)
    return explode_archive(item, ExtractSettings(), "run-hostile")


def quarantine_rows(out: ExplodedArchive) -> Counter[tuple[str, str, str | None]]:
    return Counter((q["stage"], q["reason_code"], q["member_path"]) for q in out.quarantine)


def figures_with_image(out: ExplodedArchive) -> dict[str, int]:
    counts = {a["article_key"]: 0 for a in out.articles}
    for figure in out.figures:
        counts[figure["article_key"]] += figure["image_sha256"] is not None
    return counts


def test_the_corpus_covers_every_case_of_the_issue() -> None:
    assert len(CASES) == 26
    assert sum(len(case.data) for case in CASES.values()) < 8 * 1024 * 1024  # small on disk


@pytest.mark.parametrize("streamed", [False, True], ids=["inline", "streamed"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case_gives_exactly_its_quarantine_rows_and_keeps_the_rest(
    name: str, streamed: bool, tmp_path: Path
) -> None:
    case = CASES[name]
    started = time.perf_counter()
    out = explode(case, tmp_path, streamed)
    assert time.perf_counter() - started < 10  # bombs are stopped early, never inflated in full
    expected = Counter((stage.value, reason.value, member) for stage, reason, member in case.quarantine)
    assert quarantine_rows(out) == expected
    assert figures_with_image(out) == case.figures_with_image
    assert len(out.images) == case.images
    assert out.source["quarantined"] == len(case.quarantine)
    if not case.quarantine:
        assert out.source["status"] == "ok"
    else:
        assert out.source["status"] == ("partial" if case.figures_with_image else "quarantined")


def test_nothing_from_outside_the_archive_reaches_a_row(tmp_path: Path) -> None:
    for case in CASES.values():
        out = explode(case, tmp_path, streamed=False)
        text = repr([out.articles, out.figures])
        assert "root:" not in text and "lol" not in text, case.name
        assert all(f["resolved_member"] is None or ".." not in f["resolved_member"] for f in out.figures)


def test_a_duplicate_member_never_replaces_the_first(tmp_path: Path) -> None:
    out = explode(CASES["duplicate_member"], tmp_path, streamed=False)
    [image] = out.images
    assert image["image_sha256"] == hashlib.sha256(jpeg(16)).hexdigest()


@pytest.mark.parametrize(("name", "image_format"), [("animated_gif", "GIF"), ("multipage_tiff", "TIFF")])
def test_multi_frame_images_are_described_by_their_first_frame(
    name: str, image_format: str, tmp_path: Path
) -> None:
    out = explode(CASES[name], tmp_path, streamed=False)
    [hostile] = [i for i in out.images if i["format"] == image_format]
    assert (hostile["width"], hostile["height"]) == (64, 48)  # later frames/pages are 64x48 or 32x32


def test_salvaged_articles_keep_what_the_recovering_parse_could_read(tmp_path: Path) -> None:
    titles = {
        a["article_key"]: a["title"]
        for name in ("invalid_utf8", "utf16_xml", "deeply_nested")
        for a in explode(CASES[name], tmp_path, streamed=False).articles
    }
    assert titles["PMC6"] == "caf\ufffd\ufffd"
    assert titles["PMC7"] == "A good article"
    assert titles["PMC5"] == "A good article"
