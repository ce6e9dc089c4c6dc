"""Properties of the JATS parser on any input: a result or a quarantine reason, never an exception,
and never anything a DOCTYPE could smuggle in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.quarantine import Reason, Stage

FAST = settings(max_examples=150, deadline=None)

TAGS = [
    "article", "front", "article-meta", "article-id", "title-group", "article-title", "body", "sec", "p",
    "fig", "fig-group", "label", "caption", "title", "graphic", "xref", "italic", "table-wrap", "abstract",
    "permissions", "license", "sub-article", "floats-group", "alternatives", "tex-math", "boxed-text",
]  # fmt: skip
ATTRIBUTES = [
    'id="F1"', 'rid="F1"', 'ref-type="fig"', 'pub-id-type="pmc"', 'xlink:href="gr1"', 'xlink:href="../x"',
    'xlink:href=""', 'fig-type="table"', 'article-type="research-article"', 'xml:lang="en"',
]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
PROLOGUES = [
    "",
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "JATS.dtd">',
    '<!DOCTYPE article [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE article [<!ENTITY x "&x;&x;">]>',
    '<!DOCTYPE article [<!ATTLIST graphic xlink:href CDATA "evil">]>',
    "<!DOCTYPE article [<!ELEMENT article ANY>]>",
]


@st.composite
def jats_like(draw: st.DrawFn) -> str:
    """Random nestings of JATS elements with random text, attributes and entity references."""

    def element(depth: int) -> str:
        tag = draw(st.sampled_from(TAGS))
        attributes = " ".join(draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=2, unique=True)))
        children = []
        for _ in range(draw(st.integers(0, 3 if depth < 5 else 0))):
            children.append(element(depth + 1))
            children.append(draw(st.sampled_from(["", " ", "&x;", "&nbsp;", "&amp;", "&#x0;"])))
            children.append(_escape(draw(TEXT)))
        return f"<{tag} {attributes}>{''.join(children)}</{tag}>"

    root = element(0).replace(" ", ' xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
    return draw(st.sampled_from(PROLOGUES)) + root


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _check(data: bytes) -> None:
    parsed = parse_xml(data, "PMC9/a.nxml", max_bytes=1 << 20)
    assert parsed.articles or parsed.quarantine  # a result, or the reason there is none
    for item in parsed.quarantine:
        assert isinstance(item.reason, Reason) and isinstance(item.stage, Stage) and item.detail
    for article in parsed.articles:
        assert article.article_key
        for text in (article.title or "", article.body_text or "", *(f.caption for f in article.figures)):
            assert "root:" not in text and "evil" not in text
        assert [f.ordinal for f in article.figures] == list(range(len(article.figures)))


@FAST
@given(st.binary(max_size=600))
def test_any_bytes(data: bytes) -> None:
    _check(data)


@FAST
@given(jats_like(), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_any_jats_like_document(document: str, encoding: str) -> None:
    _check(document.encode(encoding, "replace"))


@FAST
@given(jats_like(), st.integers(0, 2000), st.binary(max_size=8))
def test_any_jats_like_document_cut_or_spliced(document: str, cut: int, splice: bytes) -> None:
    data = document.encode()
    position = min(cut, len(data))
    _check(data[:position] + splice + data[position + len(splice) :])


@FAST
@given(jats_like())
def test_forbidden_declarations_are_refused_whatever_follows(document: str) -> None:
    parsed = parse_xml(document.encode(), "a.nxml")
    if "<!ENTITY" in document or "<!ATTLIST" in document:
        assert parsed.articles == []
        assert [q.reason for q in parsed.quarantine] == [Reason.XML_FORBIDDEN]
