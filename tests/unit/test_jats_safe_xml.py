"""Hostile and broken XML: never expanded, never fetched, never an exception; always a quarantine reason."""

from __future__ import annotations

import codecs
import time

import pytest

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.quarantine import Reason, Stage

ARTICLE = (
    '<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>'
    '<article-id pub-id-type="pmc">PMC42</article-id>'
    "<title-group><article-title>{title}</article-title></title-group></article-meta></front>"
    '<body><p>Body.</p><fig id="F1"><caption><p>{caption}'
    '</p></caption><graphic xlink:href="g1"/></fig></body>'
    "</article>"
)
JATS_DOCTYPE = (
    "<!DOCTYPE article PUBLIC "
    '"-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" '
    '"JATS-archivearticle1.dtd">'
)


def article(title: str = "Title", caption: str = "Caption") -> str:
    return ARTICLE.format(title=title, caption=caption)


def reasons(data: bytes, file_name: str = "f.xml", **kwargs: int) -> list[Reason]:
    return [item.reason for item in parse_xml(data, file_name, **kwargs).quarantine]


@pytest.mark.parametrize(
    "entity_declaration",
    [
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        '<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">',
        '<!ENTITY xxe PUBLIC "-//X//Y" "https://example.invalid/x">',
        '<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;',
        '<!ENTITY xxe "harmless-looking internal text">',
    ],
    ids=["file", "network", "public", "parameter-entity", "internal"],
)
def test_entity_declarations_are_forbidden_and_never_expanded(entity_declaration: str) -> None:
    xml = f"<!DOCTYPE article [{entity_declaration}]>" + article(title="&xxe;")
    parsed = parse_xml(xml.encode(), "PMC42.xml")
    assert parsed.articles == []
    [item] = parsed.quarantine
    assert (item.stage, item.reason, item.member_path, item.pmcid) == (
        Stage.XML,
        Reason.XML_FORBIDDEN,
        "PMC42.xml",
        "PMC42",
    )


def test_billion_laughs_is_quarantined_fast() -> None:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{levels}]><lolz>&lol9;</lolz>'
    started = time.perf_counter()
    assert reasons(xml.encode()) == [Reason.XML_FORBIDDEN]
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "declaration", ["ENTITY xxe SYSTEM 'file:///etc/passwd'", "ATTLIST graphic id ID #IMPLIED"]
)
def test_declaration_hidden_by_an_encoding_is_still_found(declaration: str) -> None:
    # In UTF-7 '<' may be written '+ADw-': the scan must read the document as the parser decodes it.
    xml = f'<?xml version="1.0" encoding="UTF-7"?><!DOCTYPE article [+ADw-!{declaration}>]>' + article()
    assert reasons(xml.encode("ascii")) == [Reason.XML_FORBIDDEN]


@pytest.mark.parametrize("label", ["UTF-16", "UTF-32", "IBM037"])
def test_declaration_under_a_wrong_encoding_label_is_still_found(label: str) -> None:
    # libxml2 may ignore the label and read the bytes as UTF-8 (or recover them): scan those too.
    xml = f'<?xml version="1.0" encoding="{label}"?><!DOCTYPE article [<!ATTLIST graphic id ID #IMPLIED>]>'
    assert reasons((xml + article()).encode()) == [Reason.XML_FORBIDDEN]


def test_codecs_that_are_not_text_encodings_are_quarantined() -> None:
    assert reasons(b'<?xml version="1.0" encoding="rot13"?>' + article().encode()) == [Reason.XML_ENCODING]


def test_attribute_defaults_in_the_internal_subset_are_forbidden() -> None:
    # libxml2 applies a prefixed attribute default even without validation: it would invent an href.
    xml = '<!DOCTYPE article [<!ATTLIST graphic xlink:href CDATA "injected">]>' + article()
    assert reasons(xml.encode()) == [Reason.XML_FORBIDDEN]


def test_internal_subset_with_only_element_declarations_is_parsed() -> None:
    xml = "<!DOCTYPE article [<!ELEMENT article ANY>]>" + article()
    parsed = parse_xml(xml.encode(), "f.xml")
    assert parsed.quarantine == []
    assert parsed.articles[0].title == "Title"


def test_external_dtd_reference_is_never_fetched() -> None:
    xml = '<!DOCTYPE article SYSTEM "http://127.0.0.1:9/never-fetched.dtd">' + article()
    parsed = parse_xml(xml.encode(), "f.xml")
    assert parsed.quarantine == []
    assert parsed.articles[0].title == "Title"


def test_html_entities_without_a_dtd_are_salvaged_but_quarantined() -> None:
    parsed = parse_xml(article(caption="heart&nbsp;rate&ndash;variability").encode(), "PMC42.xml")
    [item] = parsed.quarantine
    assert (item.reason, item.pmcid) == (Reason.XML_SYNTAX, "PMC42")
    assert "nbsp" in item.detail
    [article_] = parsed.articles
    assert article_.figures[0].caption == "heart rate–variability"


def test_html_entities_with_an_unloaded_dtd_parse_without_quarantine() -> None:
    parsed = parse_xml((JATS_DOCTYPE + article(caption="a&nbsp;b&hellip;&unknownentity;c")).encode(), "f.xml")
    assert parsed.quarantine == []
    assert parsed.articles[0].figures[0].caption == "a b…&unknownentity;c"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_declaration_parses(codec: str) -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + article(title="Ünïcode title")
    data = xml.encode(codec)
    if codec != "utf-16":  # the plain codec writes a BOM, the endian-specific ones do not
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    parsed = parse_xml(data, "f.xml")
    assert parsed.quarantine == []
    assert parsed.articles[0].title == "Ünïcode title"


def test_utf16_entity_declaration_is_still_forbidden() -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE article [<!ENTITY x "y">]>' + article(title="&x;")
    assert reasons(xml.encode("utf-16")) == [Reason.XML_FORBIDDEN]


@pytest.mark.parametrize(("data", "detail"), [(b"", "0 bytes"), (b" \n\t", "only whitespace")])
def test_empty_file(data: bytes, detail: str) -> None:
    parsed = parse_xml(data, "PMC7.nxml")
    assert parsed.articles == []
    assert [(q.stage, q.reason, q.detail, q.pmcid) for q in parsed.quarantine] == [
        (Stage.XML, Reason.EMPTY_FILE, detail, "PMC7")
    ]


def test_truncated_xml_is_salvaged_from_the_recovering_parse() -> None:
    data = article().encode()
    truncated = data[: data.index(b"<fig")] + b"<p>cut he"
    parsed = parse_xml(truncated, "f.xml")
    assert [q.reason for q in parsed.quarantine] == [Reason.XML_SYNTAX]
    [salvaged] = parsed.articles
    assert (salvaged.pmcid, salvaged.title) == ("PMC42", "Title")


def test_truncation_before_article_meta_salvages_nothing() -> None:
    parsed = parse_xml(b"<article><front><journal-meta><journal-title>J", "f.xml")
    assert parsed.articles == []
    assert [q.reason for q in parsed.quarantine] == [Reason.XML_SYNTAX]


@pytest.mark.parametrize("garbage", [b"not xml at all", b"\x89PNG\r\n\x1a\n\x00\x00", b"<<<>>>", b"<a"])
def test_garbage_never_raises(garbage: bytes) -> None:
    parsed = parse_xml(garbage, "f.xml")
    assert parsed.articles == []
    assert [q.reason for q in parsed.quarantine] == [Reason.XML_SYNTAX]


def test_invalid_utf8_is_an_encoding_problem_and_the_article_is_salvaged() -> None:
    data = article(title="caf\xe9").encode("utf-8").replace(b"caf\xc3\xa9", b"caf\xe9\xff")
    parsed = parse_xml(data, "f.xml")
    assert [q.reason for q in parsed.quarantine] == [Reason.XML_ENCODING]
    assert parsed.articles[0].title == "caf\ufffd\ufffd"


def test_encoding_python_cannot_check_is_quarantined() -> None:
    data = b'<?xml version="1.0" encoding="X-NO-SUCH-CODEC"?>' + article().encode()
    assert reasons(data) == [Reason.XML_ENCODING]


def test_latin1_declared_document_parses() -> None:
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + article(title="Café")).encode("latin-1")
    parsed = parse_xml(data, "f.xml")
    assert parsed.quarantine == []
    assert parsed.articles[0].title == "Café"


def test_size_limit() -> None:
    data = article().encode()
    assert reasons(data, max_bytes=len(data) - 1) == [Reason.XML_TOO_LARGE]
    assert reasons(data, max_bytes=len(data)) == []


def test_truncation_at_every_byte_never_raises() -> None:
    data = article(caption="Fig. <xref ref-type='fig' rid='F1'>1</xref>").encode()
    for end in range(len(data)):
        parsed = parse_xml(data[:end], "f.xml")
        file_problem, *figure_problems = parsed.quarantine
        assert file_problem.reason == (Reason.EMPTY_FILE if end == 0 else Reason.XML_SYNTAX)
        assert all(q.stage == Stage.FIGURE for q in figure_problems)  # a graphic cut before its href
        assert len(parsed.articles) <= 1
