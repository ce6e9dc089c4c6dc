"""Graphic href -> member: stems, extension preference, folders, escapes."""

from __future__ import annotations

import pytest

from biomedica_spark.archives.resolve import MemberIndex, UnsafeHref, image_stem, resolve_graphic
from biomedica_spark.quarantine import Reason

PMC_LEGACY = ["PMC1/main.nxml", "PMC1/gr1_lrg.gif", "PMC1/gr1_lrg.jpg", "PMC1/main.pdf", "PMC1/gr2.gif"]


@pytest.mark.parametrize("href", ["gr1_lrg", "gr1_lrg.gif", "GR1_LRG.JPG", "gr1_lrg.png", "./gr1_lrg"])
def test_legacy_pmc_hrefs_take_the_full_size_jpg_not_the_gif_thumbnail(href: str) -> None:
    assert resolve_graphic(href, "PMC1/main.nxml", PMC_LEGACY) == "PMC1/gr1_lrg.jpg"


def test_a_gif_is_taken_when_it_is_the_only_image() -> None:
    assert resolve_graphic("gr2", "PMC1/main.nxml", PMC_LEGACY) == "PMC1/gr2.gif"


def test_extension_preference_order() -> None:
    members = ["f.gif", "f.tiff", "f.tif", "f.png", "f.jpeg", "f.jpg"]
    expected = ["f.jpg", "f.jpeg", "f.png", "f.tif", "f.tiff", "f.gif"]
    for best in expected:
        assert resolve_graphic("f", "a.xml", members) == best
        members.remove(best)


def test_elife_extensionless_hrefs_point_at_tif() -> None:
    members = ["elife-19405.xml", "elife-19405-fig1.tif", "elife-19405.pdf"]
    assert resolve_graphic("elife-19405-fig1", "elife-19405.xml", members) == "elife-19405-fig1.tif"


def test_only_known_image_extensions_are_stripped() -> None:
    members = ["journal.pone.0046493.g001.tif", "journal.pone.0046493.g002.tif"]
    assert (
        resolve_graphic("info:doi/10.1371/journal.pone.0046493.g001", "a.xml", members)
        == "journal.pone.0046493.g001.tif"
    )
    assert image_stem("journal.pone.0046493.g001") == ("journal.pone.0046493.g001", 10)
    assert image_stem("Fig1.TIFF") == ("fig1", 4)
    assert resolve_graphic("fig1", "a.xml", ["fig1.pdf"]) is None  # a PDF is no figure image
    assert resolve_graphic("fig1.pdf", "a.xml", ["fig1.pdf"]) == "fig1.pdf"  # named exactly: still found


def test_urls_keep_only_their_last_segment() -> None:
    url = "https://cdn.example.org/figs/fig1.jpg?v=2"
    assert resolve_graphic(url, "a.xml", ["x/fig1.jpg"]) == "x/fig1.jpg"


def test_href_folders_and_the_article_folder_come_first() -> None:
    members = ["A/main.nxml", "A/figs/gr1.jpg", "A/gr1.gif", "B/main.nxml", "B/gr1.jpg", "gr1.jpg"]
    assert resolve_graphic("figs/gr1.jpg", "A/main.nxml", members) == "A/figs/gr1.jpg"
    # The article's own folder beats a better extension elsewhere.
    assert resolve_graphic("gr1", "A/main.nxml", members) == "A/gr1.gif"
    assert resolve_graphic("gr1", "B/main.nxml", members) == "B/gr1.jpg"
    assert resolve_graphic("other/gr1", "B/main.nxml", members) == "B/gr1.jpg"


def test_fallback_searches_below_the_article_then_anywhere_shortest_path_first() -> None:
    members = [
        "A/main.nxml",
        "A/deep/er/fig1.jpg",
        "A/sub/fig1.jpg",
        "Z/fig1.jpg",
        "fig2.gif",
        "Q/R/fig2.jpg",
    ]
    assert resolve_graphic("fig1", "A/main.nxml", members) == "A/sub/fig1.jpg"
    assert resolve_graphic("fig2", "A/main.nxml", members) == "Q/R/fig2.jpg"  # best extension, then path
    assert resolve_graphic("fig1", "main.nxml", members) == "Z/fig1.jpg"


@pytest.mark.parametrize(
    "href",
    ["../../etc/passwd", "figs/../../x.jpg", "/etc/passwd", "file:///etc/passwd", "C:\\x.jpg", "a\x00.jpg"],
)
def test_escaping_hrefs_are_unsafe_and_never_resolved(href: str) -> None:
    result = resolve_graphic(href, "PMC1/main.nxml", ["passwd", "x.jpg", "a.jpg", "etc/passwd"])
    assert isinstance(result, UnsafeHref)
    assert result.reason == Reason.HREF_UNSAFE
    assert result.href == href


def test_missing_and_empty_hrefs_resolve_to_none() -> None:
    assert resolve_graphic("gr9", "PMC1/main.nxml", PMC_LEGACY) is None
    assert resolve_graphic("  ", "PMC1/main.nxml", PMC_LEGACY) is None
    assert resolve_graphic("info:doi/", "PMC1/main.nxml", PMC_LEGACY) is None


def test_member_index_is_reusable_across_articles() -> None:
    index = MemberIndex(PMC_LEGACY)
    assert [index.resolve(h, "PMC1/main.nxml") for h in ("gr1_lrg", "gr2", "gr3")] == [
        "PMC1/gr1_lrg.jpg",
        "PMC1/gr2.gif",
        None,
    ]
    assert resolve_graphic("gr1_lrg", "PMC1/main.nxml", index) == "PMC1/gr1_lrg.jpg"
