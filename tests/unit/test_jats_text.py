"""element_text: spaces at block boundaries only, inline markup joined exactly as written."""

from __future__ import annotations

import pytest
from lxml import etree

from biomedica_spark.jats.text import FLOAT_ELEMENTS, element_text

MATHML = 'xmlns:mml="http://www.w3.org/1998/Math/MathML"'


def text_of(xml: str, **kwargs: object) -> str:
    return element_text(etree.fromstring(xml), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<p><italic>a</italic><bold>b</bold></p>", "ab"),
        ("<p>Fig.<xref>1</xref>shows</p>", "Fig.1shows"),
        ("<p>Fig. <xref>1</xref> shows</p>", "Fig. 1 shows"),
        ("<p>H<sub>2</sub>O at 10<sup>−3</sup> M</p>", "H2O at 10−3 M"),
        ("<caption><title>Title.</title><p>First.</p><p>Second.</p></caption>", "Title. First. Second."),
        ("<caption><title>No</title><p>space</p></caption>", "No space"),
        ("<list><list-item><p>one</p></list-item><list-item><p>two</p></list-item></list>", "one two"),
        ("<table><tr><td>1</td><td>2</td></tr></table>", "1 2"),
        ("<p>line<break/>break</p>", "line break"),
        ("<p>  spaced \n\t out\u00a0 text  </p>", "spaced out text"),
        ("<p/>", ""),
    ],
)
def test_blocks_get_spaces_inline_markup_does_not(xml: str, expected: str) -> None:
    assert text_of(xml) == expected


def test_skipped_subtrees_keep_their_tail() -> None:
    xml = '<p>Before <fig id="F1"><caption><p>caption</p></caption></fig>after.</p>'
    assert text_of(xml, skip=FLOAT_ELEMENTS) == "Before after."


def test_block_separator_keeps_paragraphs_apart() -> None:
    xml = "<body><sec><title>Intro</title><p>One\n two.</p><p>Three.</p></sec></body>"
    assert text_of(xml, block_separator="\n\n") == "Intro\n\nOne two.\n\nThree."


def test_tex_rendition_is_dropped_when_mathml_is_there() -> None:
    xml = (
        f"<p {MATHML}>Let <inline-formula><alternatives><tex-math>\\documentclass{{minimal}} x^2</tex-math>"
        "<mml:math><mml:msup><mml:mi>x</mml:mi><mml:mn>2</mml:mn></mml:msup></mml:math></alternatives>"
        "</inline-formula> hold.</p>"
    )
    assert text_of(xml) == "Let x2 hold."
    assert text_of("<p><alternatives><tex-math>x^2</tex-math></alternatives></p>") == "x^2"


def test_none_is_empty() -> None:
    assert element_text(None) == ""
