"""Article metadata from every location in PMC-FACTS.md "Metadata locations", wrappers and article keys."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.jats.model import Article
from biomedica_spark.quarantine import Reason, Stage

NAMESPACES = (
    'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:ali="http://www.niso.org/schemas/ali/1.0/" '
    'xmlns:mml="http://www.w3.org/1998/Math/MathML"'
)


def article_xml(
    meta: str = "", journal_meta: str = "", body: str = "", back: str = "", attrs: str = ""
) -> str:
    return (
        f"<article {NAMESPACES} {attrs}><front><journal-meta>{journal_meta}</journal-meta>"
        f"<article-meta>{meta}</article-meta></front><body>{body}</body><back>{back}</back></article>"
    )


def only_article(xml: str, file_name: str = "file.xml") -> Article:
    parsed = parse_xml(xml.encode(), file_name)
    assert parsed.quarantine == []
    [article] = parsed.articles
    return article


NEW_PMC_ARTICLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article
 PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD with MathML3 v1.4 20241031//EN"
 "JATS-archive-oasis-article1-4-mathml3.dtd">
<article xmlns="http://jats.nlm.nih.gov" {NAMESPACES} article-type="Research-Article" xml:lang="EN">
<front><journal-meta>
  <journal-id journal-id-type="nlm-ta">STAR Protoc</journal-id>
  <journal-id journal-id-type="iso-abbrev">STAR Protoc.</journal-id>
  <journal-title-group><journal-title>STAR Protocols</journal-title></journal-title-group>
  <publisher><publisher-name>Elsevier</publisher-name></publisher>
</journal-meta>
<article-meta>
  <article-id pub-id-type="pmcid">PMC12491511</article-id>
  <article-id pub-id-type="pmcid-ver">PMC12491511.1</article-id>
  <article-id pub-id-type="pmcaid">99999</article-id>
  <article-id pub-id-type="pmcaiid">88888</article-id>
  <article-id pub-id-type="pmid">40944916</article-id>
  <article-id pub-id-type="doi">10.1016/j.xpro.2025.104081</article-id>
  <article-categories>
    <subj-group subj-group-type="heading"><subject>Protocol</subject></subj-group>
    <subj-group subj-group-type="Discipline-v3"><subject>Cancer</subject></subj-group>
  </article-categories>
  <title-group><article-title>A <italic>mouse</italic>
    model of<xref ref-type="fn" rid="fn1">*</xref> brain<sup>2+</sup> metastasis</article-title></title-group>
  <contrib-group>
    <contrib contrib-type="author">
      <name><surname>Almazan</surname><given-names>Jared</given-names></name></contrib>
    <contrib contrib-type="author"><name-alternatives>
      <name name-style="western"><surname>Li</surname><given-names>Wei</given-names></name>
      <string-name xml:lang="zh">李伟</string-name></name-alternatives></contrib>
    <contrib contrib-type="author"><string-name>J. Q. Public</string-name></contrib>
    <contrib contrib-type="author"><collab>The <italic>Brain</italic> Consortium<contrib-group>
      <contrib contrib-type="author"><name><surname>Member</surname></name></contrib>
    </contrib-group></collab></contrib>
    <contrib contrib-type="editor">
      <name><surname>Editor</surname><given-names>Not</given-names></name></contrib>
  </contrib-group>
  <pub-date publication-format="electronic" date-type="pub">
    <day>11</day><month>09</month><year>2025</year></pub-date>
  <pub-date publication-format="print" date-type="collection"><month>12</month><year>2025</year></pub-date>
  <permissions>
    <copyright-statement>© 2025 The Authors.</copyright-statement>
    <license><ali:license_ref specific-use="textmining">https://creativecommons.org/licenses/by/4.0/</ali:license_ref>
      <license-p>This is an open access article under the CC BY license.</license-p></license>
  </permissions>
  <abstract><title>Summary</title><p>We present a protocol.</p><p>Second   paragraph.</p></abstract>
  <abstract abstract-type="graphical"><title>Graphical abstract</title><p>Not this.</p></abstract>
  <kwd-group kwd-group-type="author"><title>Keywords</title><kwd>Cancer</kwd>
    <kwd>Model <italic>Organisms</italic></kwd><kwd>Cancer</kwd></kwd-group>
</article-meta></front>
<body><sec><title>Before you begin</title><p>First <bold>paragraph</bold>.</p>
  <p>Second <fig id="F1"><caption><p>Caption not in body text.</p></caption>
    <graphic xlink:href="gr1.jpg"/></fig>one.</p>
  <sec><title>Sub</title><list><list-item><p>item one</p></list-item></list></sec></sec></body>
<back><ref-list><ref id="R1"><element-citation><pub-id pub-id-type="pmid">123</pub-id>
  <pub-id pub-id-type="doi">10.1000/ABC</pub-id></element-citation></ref>
  <ref id="R2"><mixed-citation>See <ext-link ext-link-type="uri" xlink:href="https://doi.org/10.1000/abc">doi</ext-link>,
  <ext-link ext-link-type="doi" xlink:href="10.2000/xyz">x</ext-link>,
  <pub-id pub-id-type="pmid">456</pub-id>,
  <ext-link ext-link-type="uri" xlink:href="https://example.org">not a doi</ext-link></mixed-citation></ref>
</ref-list></back>
</article>
"""


def test_new_pmc_jats_with_default_namespace() -> None:
    article = only_article(NEW_PMC_ARTICLE, "PMC12491511_0.xml")
    assert article.figures[0].graphic_href == "gr1.jpg"
    article.figures = []
    assert article == Article(
        article_key="PMC12491511",
        key_source="pmcid",
        pmcid="PMC12491511",
        pmid="40944916",
        doi="10.1016/j.xpro.2025.104081",
        title="A mouse model of brain2+ metastasis",
        abstract="We present a protocol.\n\nSecond paragraph.",
        journal="STAR Protocols",
        journal_nlm_ta="STAR Protoc",
        publisher="Elsevier",
        pub_date="2025-09-11",
        pub_year=2025,
        article_type="research-article",
        subjects=["Protocol"],
        keywords=["Cancer", "Model Organisms"],
        authors=["Almazan Jared", "Li Wei", "J. Q. Public", "The Brain Consortium"],
        license_code="CC BY",
        license_url="https://creativecommons.org/licenses/by/4.0/",
        license_subset="commercial",
        language="en",
        body_text="Before you begin\n\nFirst paragraph.\n\nSecond one.\n\nSub\n\nitem one",
        reference_pmids=["123", "456"],
        reference_dois=["10.1000/ABC", "10.2000/xyz"],
        figures=[],
        xml_sha256=hashlib.sha256(NEW_PMC_ARTICLE.encode()).hexdigest(),
    )


NLM_2_ARTICLE = """<!DOCTYPE article
 PUBLIC "-//NLM//DTD Journal Archiving and Interchange DTD v2.3 20070202//EN" "archivearticle.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
<front><journal-meta><journal-id journal-id-type="iso-abbrev">BMC Neurosci</journal-id>
  <journal-title>BMC Neuroscience</journal-title>
  <publisher><publisher-name>BioMed Central</publisher-name></publisher></journal-meta>
<article-meta>
  <article-id pub-id-type="pmc">1087847</article-id><article-id pub-id-type="pmid">15831111</article-id>
  <article-id pub-id-type="doi">10.1186/1471-2202-6-25</article-id>
  <article-categories><subj-group><subject>Research Article</subject>
    <subj-group><subject>Neuroscience</subject></subj-group></subj-group></article-categories>
  <title-group><article-title>NLM title</article-title></title-group>
  <pub-date pub-type="collection"><year>2005</year></pub-date>
  <pub-date pub-type="epub"><day>14</day><month>4</month><year>2005</year></pub-date>
  <copyright-statement>Copyright © 2005 Author</copyright-statement>
  <license license-type="openaccess" xlink:href="http://creativecommons.org/licenses/by/2.0">
    <p>This is an Open Access article distributed under the terms of the
      Creative Commons Attribution License</p>
  </license>
  <abstract><sec><title>Background</title><p>Why.</p></sec><sec><title>Results:</title><p>What.</p></sec>
    <sec><p>Untitled.</p></sec></abstract>
</article-meta></front><body/></article>"""


def test_nlm_2_article_without_namespace_or_permissions() -> None:
    article = only_article(NLM_2_ARTICLE)
    assert (article.pmcid, article.key_source, article.pmid) == ("PMC1087847", "pmcid", "15831111")
    assert (article.journal, article.journal_nlm_ta, article.publisher) == (
        "BMC Neuroscience",
        "BMC Neurosci",
        "BioMed Central",
    )
    assert (article.pub_date, article.pub_year) == ("2005-04-14", 2005)
    assert article.subjects == ["Research Article", "Neuroscience"]
    assert (article.license_code, article.license_url, article.license_subset) == (
        "CC BY",
        "http://creativecommons.org/licenses/by/2.0",
        "commercial",
    )
    assert article.abstract == "Background: Why.\n\nResults: What.\n\nUntitled."
    assert (article.language, article.body_text, article.figures) == (None, "", [])


@pytest.mark.parametrize(
    ("article_ids", "pmcid"),
    [
        ('<article-id pub-id-type="pmc">PMC123</article-id>', "PMC123"),
        ('<article-id pub-id-type="pmc">123</article-id>', "PMC123"),
        ('<article-id pub-id-type="pmcid"> pmc0123 </article-id>', "PMC123"),
        (
            '<article-id pub-id-type="pmcid-ver">PMC5.1</article-id>'
            '<article-id pub-id-type="pmcaid">5</article-id>',
            None,
        ),
        ('<article-id pub-id-type="pmc">not-an-id</article-id>', None),
    ],
)
def test_pmcid_normalisation(article_ids: str, pmcid: str | None) -> None:
    assert only_article(article_xml(meta=article_ids)).pmcid == pmcid


def test_doi_comes_from_article_meta_only() -> None:
    article = only_article(
        article_xml(
            meta='<article-id pub-id-type="doi">https://doi.org/10.1371/journal.pone.0046493</article-id>',
            back='<ref-list><ref><pub-id pub-id-type="doi">10.9/ref</pub-id></ref></ref-list>',
        )
    )
    assert article.doi == "10.1371/journal.pone.0046493"
    assert (
        only_article(
            article_xml(back='<ref-list><ref><pub-id pub-id-type="doi">10.9/r</pub-id></ref></ref-list>')
        ).doi
        is None
    )


def test_article_key_fallback_chain() -> None:
    with_pmcid = article_xml(
        meta='<article-id pub-id-type="pmcid">PMC1</article-id>'
        '<article-id pub-id-type="doi">10.1/X</article-id>'
    )
    with_doi = article_xml(meta='<article-id pub-id-type="doi">10.1371/Journal.PONE.1</article-id>')
    bare = article_xml(meta="<title-group><article-title>No ids</article-title></title-group>")

    assert _key(with_pmcid, "PMC999.xml") == ("PMC1", "pmcid", "PMC1")
    assert _key(with_doi, "packages/PMC7112410/main.nxml") == ("PMC7112410", "file_name", "PMC7112410")
    assert _key(with_doi, "journal.pone.1.xml") == ("doi:10.1371/journal.pone.1", "doi", None)
    assert _key(with_doi, "PMC1_vs_PMC2.xml") == ("doi:10.1371/journal.pone.1", "doi", None)
    element = etree.fromstring(bare.encode())
    expected = "xml:" + hashlib.sha256(etree.tostring(element, with_tail=False)).hexdigest()
    assert _key(bare, "article.xml") == (expected, "xml_sha256", None)


def _key(xml: str, file_name: str) -> tuple[str, str, str | None]:
    article = only_article(xml, file_name)
    return article.article_key, article.key_source, article.pmcid


def test_file_name_pmcid_is_not_used_when_the_file_holds_several_articles() -> None:
    xml = f"<articles>{article_xml(meta='<title-group><article-title>A</article-title></title-group>')}" + (
        f"{article_xml(meta='<title-group><article-title>B</article-title></title-group>')}</articles>"
    )
    parsed = parse_xml(xml.encode(), "PMC55.xml")
    assert [a.key_source for a in parsed.articles] == ["xml_sha256", "xml_sha256"]
    assert parsed.articles[0].article_key != parsed.articles[1].article_key


@pytest.mark.parametrize(
    ("pub_dates", "expected"),
    [
        # NLM 2.x / 3.0 @pub-type: the earliest date that has a month wins
        (
            '<pub-date pub-type="ppub"><month>3</month><year>2020</year></pub-date>'
            '<pub-date pub-type="epub"><day>15</day><month>Jan</month><year>2020</year></pub-date>',
            ("2020-01-15", 2020),
        ),
        (
            '<pub-date pub-type="epub"><day>20</day><month>May</month><year>2019</year></pub-date>'
            '<pub-date pub-type="ppub"><month>January</month><year>2019</year></pub-date>',
            ("2019-01-01", 2019),
        ),
        # ties go to electronic over print
        (
            '<pub-date pub-type="ppub"><day>1</day><month>2</month><year>2018</year></pub-date>'
            '<pub-date pub-type="epub"><day>1</day><month>2</month><year>2018</year></pub-date>',
            ("2018-02-01", 2018),
        ),
        # year-only and season-only dates become -01-01
        ('<pub-date pub-type="collection"><year>2005</year></pub-date>', ("2005-01-01", 2005)),
        (
            '<pub-date pub-type="ppub"><season>Spring</season><year>2001</year></pub-date>',
            ("2001-01-01", 2001),
        ),
        (
            '<pub-date pub-type="ppub"><season>Jan-Feb</season><year>2001</year></pub-date>',
            ("2001-01-01", 2001),
        ),
        # a dated pmc-release does not beat a year-only publication date; it is a fallback only
        (
            '<pub-date pub-type="collection"><year>2019</year></pub-date>'
            '<pub-date pub-type="pmc-release"><day>1</day><month>6</month><year>2020</year></pub-date>',
            ("2019-01-01", 2019),
        ),
        (
            '<pub-date pub-type="pmc-release"><day>9</day><month>6</month><year>2020</year></pub-date>',
            ("2020-06-09", 2020),
        ),
        # JATS 1.1+ @date-type + @publication-format
        (
            '<pub-date publication-format="print" date-type="pub">'
            "<day>5</day><month>7</month><year>2021</year></pub-date>"
            '<pub-date publication-format="electronic" date-type="pub">'
            "<day>2</day><month>7</month><year>2021</year>"
            '</pub-date><pub-date date-type="collection"><year>2021</year></pub-date>',
            ("2021-07-02", 2021),
        ),
        (
            '<pub-date date-type="publication" publication-format="electronic" iso-8601-date="2022-03-04"/>',
            ("2022-03-04", 2022),
        ),
        (
            '<pub-date date-type="update"><day>1</day><month>1</month><year>2030</year></pub-date>',
            (None, None),
        ),
        # empty, impossible and missing dates
        ('<pub-date pub-type="epub"/>', (None, None)),
        (
            '<pub-date pub-type="epub"><day>31</day><month>2</month><year>2020</year></pub-date>',
            ("2020-02-01", 2020),
        ),
        ("", (None, None)),
    ],
)
def test_publication_date(pub_dates: str, expected: tuple[str | None, int | None]) -> None:
    article = only_article(article_xml(meta=pub_dates))
    assert (article.pub_date, article.pub_year) == expected


def test_subjects_fall_back_to_all_when_none_is_a_heading() -> None:
    meta = (
        '<article-categories><subj-group subj-group-type="Discipline"><subject>Biology</subject>'
        "<subj-group><subject>Genetics</subject></subj-group></subj-group></article-categories>"
    )
    assert only_article(article_xml(meta=meta)).subjects == ["Biology", "Genetics"]


def test_keywords_in_other_languages_are_left_out() -> None:
    meta = (
        '<kwd-group xml:lang="pt"><kwd>Hipertensão</kwd></kwd-group>'
        '<kwd-group xml:lang="en"><kwd>Hypertension</kwd></kwd-group><kwd-group><kwd>Any</kwd></kwd-group>'
    )
    assert only_article(article_xml(meta=meta, attrs='xml:lang="pt"')).keywords == ["Hipertensão", "Any"]


def test_abstract_choice_main_over_secondary_and_language() -> None:
    meta = (
        '<abstract abstract-type="toc"><p>TOC.</p></abstract>'
        '<abstract abstract-type="summary"><title>Author Summary</title><p>Lay.</p></abstract>'
        '<abstract xml:lang="en"><p>English.</p></abstract>'
        '<abstract xml:lang="pt"><p>Português.</p></abstract>'
        '<trans-abstract xml:lang="es"><p>Español.</p></trans-abstract>'
    )
    assert only_article(article_xml(meta=meta, attrs='xml:lang="en"')).abstract == "English."
    only_secondary = (
        '<abstract abstract-type="graphical"><p>Image.</p></abstract>'
        '<abstract abstract-type="summary"><p>Lay.</p></abstract>'
    )
    assert only_article(article_xml(meta=only_secondary)).abstract == "Lay."
    elife = (
        '<abstract><object-id pub-id-type="doi">10.7554/eLife.00013.001</object-id><p>Text.</p></abstract>'
    )
    assert only_article(article_xml(meta=elife)).abstract == "Text."
    assert only_article(article_xml()).abstract is None


@pytest.mark.parametrize(
    ("permissions", "code", "url", "subset"),
    [
        (
            '<permissions><license license-type="open-access" xlink:href="https://creativecommons.org/licenses/by-nc-nd/4.0/">'
            "<license-p>Open access.</license-p></license></permissions>",
            "CC BY-NC-ND",
            "https://creativecommons.org/licenses/by-nc-nd/4.0/",
            "noncommercial",
        ),
        (
            '<permissions><license license-type="CC BY-NC-SA">'
            "<license-p>Text.</license-p></license></permissions>",
            "CC BY-NC-SA",
            None,
            "noncommercial",
        ),
        (
            '<permissions><license><license-p>Licensed under <ext-link ext-link-type="uri" '
            'xlink:href="http://creativecommons.org/publicdomain/zero/1.0/">CC0</ext-link>.</license-p></license>'
            "</permissions>",
            "CC0",
            "http://creativecommons.org/publicdomain/zero/1.0/",
            "commercial",
        ),
        (
            "<permissions><license><license-p>Available under CC BY-SA 4.0 at "
            "https://creativecommons.org/licenses/by-sa/4.0/.</license-p></license></permissions>",
            "CC BY-SA",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "commercial",
        ),
        (
            '<permissions><license license-type="open-access">'
            "<license-p>Free to read.</license-p></license></permissions>",
            "NO-CC CODE",
            None,
            "other",
        ),
        (
            "<permissions>"
            "<copyright-statement>Copyright: © 2005 Smith. This is an open-access article distributed "
            "under the terms of the Creative Commons Attribution License."
            "</copyright-statement></permissions>",
            "CC BY",
            None,
            "commercial",
        ),
        (
            "<permissions><copyright-statement>© 2001 Publisher</copyright-statement></permissions>",
            None,
            None,
            "other",
        ),
        ("", None, None, "other"),
    ],
    ids=[
        "href",
        "license-type",
        "ext-link",
        "text-url",
        "open-access",
        "copyright-only-cc",
        "copyright-only",
        "none",
    ],
)
def test_licence_locations(permissions: str, code: str | None, url: str | None, subset: str) -> None:
    article = only_article(article_xml(meta=permissions))
    assert (article.license_code, article.license_url, article.license_subset) == (code, url, subset)


def test_pmc_articleset_wrapper() -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN" '
        '"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd"><pmc-articleset>'
        + article_xml(meta='<article-id pub-id-type="pmcid">PMC9</article-id>')
        + "</pmc-articleset>"
    )
    assert [a.article_key for a in parse_xml(xml.encode(), "efetch.xml").articles] == ["PMC9"]


def test_europe_pmc_articles_wrapper_yields_every_article() -> None:
    xml = (
        "<articles>"
        + "".join(article_xml(meta=f'<article-id pub-id-type="pmcid">PMC{i}</article-id>') for i in (1, 2, 3))
        + "</articles>"
    )
    parsed = parse_xml(xml.encode(), "PMC1_PMC3.xml")
    assert [a.article_key for a in parsed.articles] == ["PMC1", "PMC2", "PMC3"]
    assert len({a.xml_sha256 for a in parsed.articles}) == 1


def test_oai_pmh_envelope() -> None:
    xml = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><GetRecord><record><header/><metadata>'
        + article_xml(meta='<article-id pub-id-type="pmcid">PMC77</article-id>').replace(
            "<article ", '<article xmlns="https://jats.nlm.nih.gov/ns/archiving/1.3/" '
        )
        + "</metadata></record></GetRecord></OAI-PMH>"
    )
    assert [a.pmcid for a in parse_xml(xml.encode(), "oai.xml").articles] == ["PMC77"]


@pytest.mark.parametrize(
    "xml",
    [
        "<root><sub-article id='SA1'><body><p>Decision letter</p></body></sub-article></root>",
        "<pmc-articleset><error>The following PMCID is not available: 1</error></pmc-articleset>",
        "<html><body><p>Not found</p></body></html>",
    ],
)
def test_root_that_is_not_an_article(xml: str) -> None:
    parsed = parse_xml(xml.encode(), "PMC3.xml")
    assert parsed.articles == []
    [item] = parsed.quarantine
    assert (item.stage, item.reason, item.member_path, item.pmcid) == (
        Stage.XML,
        Reason.XML_NOT_ARTICLE,
        "PMC3.xml",
        "PMC3",
    )


def test_body_text_paragraphs_and_sections_are_blank_line_separated() -> None:
    body = (
        "<sec><title>Intro</title><p>One <italic>two</italic>\n three.</p>"
        '<table-wrap id="T1"><caption><p>Table caption</p>'
        "</caption><table><tr><td>cell</td></tr></table></table-wrap>"
        "<p>Four<xref ref-type='bibr' rid='B1'>1</xref>.</p></sec>"
    )
    assert only_article(article_xml(body=body)).body_text == "Intro\n\nOne two three.\n\nFour1."


def test_article_type_is_lower_cased_and_optional() -> None:
    assert only_article(article_xml(attrs='article-type=" Case-Report "')).article_type == "case-report"
    assert only_article(article_xml()).article_type is None
