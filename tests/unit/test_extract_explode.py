"""One archive -> rows, without Spark: the routes every archive can take through explode_archive."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from biomedica_spark.extract.explode import ArchiveInput, ExtractSettings, explode_archive

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)

BARE_XML = b"""<?xml version="1.0"?>
<article article-type="research-article"><front><article-meta>
<article-id pub-id-type="pmc">PMC123</article-id><title-group><article-title>T</article-title></title-group>
</article-meta></front><body><p>See <xref ref-type="fig" rid="F1">Fig. 1</xref>.</p>
<fig id="F1"><label>Figure 1</label><caption><p>A cell.</p></caption><graphic xlink:href="gr1"
 xmlns:xlink="http://www.w3.org/1999/xlink"/></fig></body></article>"""


def _explode(path: str, data: bytes | None, **kwargs: object):  # type: ignore[no-untyped-def]
    size = len(data) if data is not None else Path(path).stat().st_size
    return explode_archive(ArchiveInput(path, size, NOW, data, **kwargs), ExtractSettings(), "run-1")  # type: ignore[arg-type]


def test_bare_xml_yields_figures_without_images_and_no_missing_href_quarantine() -> None:
    out = _explode("file:/landing/PMC123.xml", BARE_XML)
    assert [a["article_key"] for a in out.articles] == ["PMC123"]
    figures = [(f["figure_id"], f["caption"], f["image_sha256"]) for f in out.figures]
    assert figures == [("F1", "A cell.", None)]
    assert out.figures[0]["inline_refs"][0]["xref_text"] == "Fig. 1"
    assert out.quarantine == [] and out.source["status"] == "ok"
    assert out.articles[0]["has_media"] is False


def test_unchanged_bytes_are_not_reprocessed() -> None:
    known = hashlib.sha256(BARE_XML).hexdigest()
    out = _explode("file:/landing/PMC123.xml", BARE_XML, known_sha256=known)
    assert out.unchanged and out.source["status"] == "unchanged"
    assert out.articles == out.figures == out.quarantine == []


def test_changed_bytes_are_reprocessed() -> None:
    out = _explode("file:/landing/PMC123.xml", BARE_XML, known_sha256="0" * 64)
    assert not out.unchanged and len(out.articles) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.pdf", b"%PDF-1.4", "unsupported_archive"),
        ("PMC1.tar.gz", b"", "empty_file"),
        ("PMC1.tar.gz", b"\x1f\x8b\x08\x00garbage", "corrupt_archive"),
    ],
)
def test_unusable_files_become_one_quarantine_row_with_a_reason(name: str, data: bytes, reason: str) -> None:
    out = _explode(f"file:/landing/{name}", data)
    assert [q["reason_code"] for q in out.quarantine] == [reason]
    assert out.source["status"] == "quarantined" and out.articles == []


def test_streaming_by_path_equals_reading_inline(real_corpus_dir: Path) -> None:
    package = real_corpus_dir / "packages" / "PMC7159286.tar.gz"
    inline = _explode(str(package), package.read_bytes())
    streamed = _explode(str(package), None)
    assert inline.source["content_sha256"] == streamed.source["content_sha256"] is not None
    assert inline.articles == streamed.articles and inline.figures == streamed.figures
    assert [i["image_sha256"] for i in inline.images] == [i["image_sha256"] for i in streamed.images]
    assert all(f["resolved_member"].endswith(".jpg") for f in inline.figures)


def test_tables_shipped_as_images_can_be_left_out() -> None:
    xml = BARE_XML.replace(
        b"</body>",
        b'<table-wrap id="T1"><label>Table 1</label><caption><p>Doses.</p></caption>'
        b'<graphic xlink:href="t1" xmlns:xlink="http://www.w3.org/1999/xlink"/></table-wrap></body>',
    )
    settings = ExtractSettings(tables_as_figures=False)
    kept = _explode("file:/landing/PMC123.xml", xml)
    item = ArchiveInput("file:/landing/PMC123.xml", len(xml), NOW, xml)
    left_out = explode_archive(item, settings, "run-1")
    assert sorted(f["kind"] for f in kept.figures) == ["figure", "table"]
    assert [f["kind"] for f in left_out.figures] == ["figure"]
