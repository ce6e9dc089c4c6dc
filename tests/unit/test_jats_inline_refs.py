"""Inline references: the paragraphs citing each figure, with section title and xref text."""

from __future__ import annotations

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.jats.model import Figure, InlineRef

NAMESPACES = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
CHILD_FIG = 'specific-use="child-fig"'  # an eLife figure supplement


def figures_of(body: str, after_back: str = "") -> dict[str, Figure]:
    xml = (
        f"<article {NAMESPACES}><front><article-meta/></front>"
        f"<body>{body}</body><back/>{after_back}</article>"
    ).encode()
    [article] = parse_xml(xml, "PMC1.xml").articles
    return {f"{f.figure_id}#{f.graphic_index}": f for f in article.figures}


def fig(fig_id: str, caption: str = "", graphics: int = 1, attrs: str = "") -> str:
    hrefs = "".join(f'<graphic xlink:href="{fig_id}-{i}"/>' for i in range(graphics))
    return f'<fig id="{fig_id}" {attrs}><caption><p>{caption}</p></caption>{hrefs}</fig>'


def refs(figures: dict[str, Figure], key: str) -> list[tuple[str, str | None, str]]:
    return [(r.paragraph, r.section_title, r.xref_text) for r in figures[key].inline_refs]


def test_paragraph_section_title_and_xref_text() -> None:
    figures = figures_of(
        "<sec><title>Results</title><sec><title>Cell <italic>growth</italic></title>"
        '<p>Cells grew (<xref ref-type="fig" rid="F1">Fig. 2B</xref>)\n  quickly.</p></sec></sec>'
        f"{fig('F1')}<p>Not citing anything.</p>"
    )
    assert figures["F1#0"].inline_refs == [
        InlineRef(paragraph="Cells grew (Fig. 2B) quickly.", section_title="Cell growth", xref_text="Fig. 2B")
    ]


def test_paragraph_outside_any_section_has_no_section_title() -> None:
    figures = figures_of(f'<p>See <xref rid="F1" ref-type="fig">Figure 1</xref>.</p>{fig("F1")}')
    assert refs(figures, "F1#0") == [("See Figure 1.", None, "Figure 1")]


def test_missing_or_wrong_ref_type_resolves_by_target() -> None:
    figures = figures_of(
        '<p>A <xref rid="F1">1</xref>; B <xref ref-type="table" rid="F2">2</xref>; '
        'C <xref ref-type="bibr" rid="B1">[3]</xref>.</p>'
        f"{fig('F1')}{fig('F2')}"
    )
    assert [r.xref_text for r in figures["F1#0"].inline_refs] == ["1"]
    assert [r.xref_text for r in figures["F2#0"].inline_refs] == ["2"]


def test_rid_is_idrefs() -> None:
    figures = figures_of(
        f'<p>Both <xref ref-type="fig" rid="F1 F2">Figs 1, 2</xref>.</p>{fig("F1")}{fig("F2")}'
    )
    assert refs(figures, "F1#0") == [("Both Figs 1, 2.", None, "Figs 1, 2")]
    assert refs(figures, "F2#0") == [("Both Figs 1, 2.", None, "Figs 1, 2")]


def test_xref_to_a_fig_group_cites_every_figure_in_it_and_a_child_only_itself() -> None:
    figures = figures_of(
        '<p>Group <xref ref-type="fig" rid="G1">Figure 1</xref>.</p>'
        '<p>Supplement <xref ref-type="fig" rid="fig1s1">Figure 1—figure supplement 1</xref>.</p>'
        f'<fig-group id="G1">{fig("fig1")}{fig("fig1s1", attrs=CHILD_FIG)}</fig-group>'
    )
    assert [r.paragraph for r in figures["fig1#0"].inline_refs] == ["Group Figure 1."]
    assert [r.paragraph for r in figures["fig1s1#0"].inline_refs] == [
        "Group Figure 1.",
        "Supplement Figure 1—figure supplement 1.",
    ]


def test_ranges_written_as_two_xrefs_cite_the_figures_between() -> None:
    figures = figures_of(
        '<p>En dash (Figs. <xref ref-type="fig" rid="F1">1'
        '</xref>–<xref ref-type="fig" rid="F3">3</xref>).</p>'
        '<p>Hyphen <xref ref-type="fig" rid="F2">2</xref>-<xref ref-type="fig" rid="F4">4</xref>.</p>'
        '<p>Words <xref ref-type="fig" rid="F1">Figure 1</xref> to '
        '<xref ref-type="fig" rid="F4">Figure 4</xref>.</p>'
        '<p>List <xref ref-type="fig" rid="F1">1</xref>, <xref ref-type="fig" rid="F4">4</xref>.</p>'
        + "".join(fig(f"F{i}") for i in range(1, 5))
    )
    assert refs(figures, "F2#0") == [
        ("En dash (Figs. 1–3).", None, "1–3"),
        ("Hyphen 2-4.", None, "2"),
        ("Words Figure 1 to Figure 4.", None, "Figure 1 to Figure 4"),
    ]
    assert [r.xref_text for r in figures["F3#0"].inline_refs] == ["3", "2-4", "Figure 1 to Figure 4"]
    assert [r.xref_text for r in figures["F1#0"].inline_refs] == ["1", "Figure 1", "1"]


def test_ranges_do_not_mix_figures_with_supplements_or_tables() -> None:
    figures = figures_of(
        '<p>See <xref ref-type="fig" rid="fig1">1</xref>–<xref ref-type="fig" rid="fig2">2</xref>.</p>'
        f"<fig-group>{fig('fig1')}{fig('fig1s1', attrs=CHILD_FIG)}</fig-group>{fig('fig2')}"
        '<table-wrap id="T1"><graphic xlink:href="t1"/></table-wrap>'
    )
    assert figures["fig1s1#0"].inline_refs == []
    assert figures["T1#0"].inline_refs == []


def test_xrefs_nested_in_bold_italic_and_sup() -> None:
    figures = figures_of(
        '<p><bold><xref ref-type="fig" rid="F1">Figure 1A</xref></bold> and '
        '<italic>(<xref ref-type="fig" rid="F2">2</xref>)</italic> and x<sup><xref rid="F3">3</xref></sup>; '
        '<bold><xref ref-type="fig" rid="F1">1</xref></bold>–'
        '<bold><xref ref-type="fig" rid="F3">3</xref></bold>.</p>'
        + "".join(fig(f"F{i}") for i in range(1, 4))
    )
    paragraph = "Figure 1A and (2) and x3; 1–3."
    assert refs(figures, "F1#0") == [(paragraph, None, "Figure 1A; 1")]
    assert refs(figures, "F2#0") == [(paragraph, None, "2; 1–3")]
    assert refs(figures, "F3#0") == [(paragraph, None, "3")]


def test_one_ref_per_paragraph_and_figure_with_xref_texts_joined() -> None:
    figures = figures_of(
        '<p>See <xref ref-type="fig" rid="F1">Fig. 1A</xref>, <xref ref-type="fig" rid="F1">Fig. 1B</xref> '
        'and again <xref ref-type="fig" rid="F1">Fig. 1A</xref>.</p>'
        f"{fig('F1')}"
    )
    assert refs(figures, "F1#0") == [("See Fig. 1A, Fig. 1B and again Fig. 1A.", None, "Fig. 1A; Fig. 1B")]


def test_own_caption_does_not_cite_but_another_figure_caption_does() -> None:
    figures = figures_of(
        fig("F1", caption='Compare with <xref ref-type="fig" rid="F2">Figure 2</xref>.')
        + fig("F2", caption='As in <xref ref-type="fig" rid="F2">panel A</xref>.')
    )
    assert refs(figures, "F2#0") == [("Compare with Figure 2.", None, "Figure 2")]
    assert refs(figures, "F1#0") == []


def test_innermost_paragraph_is_the_citing_one_and_nested_floats_are_left_out() -> None:
    figures = figures_of(
        "<sec><title>Methods</title><p>Steps:<list><list-item>"
        '<p>Stain (<xref ref-type="fig" rid="F1">Fig. 1</xref>).'
        "</p></list-item></list> Done.</p>"
        f"<p>Outer text {fig('F2', caption='Its caption.')} cites "
        '<xref ref-type="fig" rid="F2">Figure 2</xref>.</p>'
        f"</sec>{fig('F1')}"
    )
    assert refs(figures, "F1#0") == [("Stain (Fig. 1).", "Methods", "Fig. 1")]
    assert refs(figures, "F2#0") == [("Outer text cites Figure 2.", "Methods", "Figure 2")]


def test_xref_outside_paragraphs_is_not_an_inline_reference() -> None:
    figures = figures_of(
        '<sec><title>See <xref ref-type="fig" rid="F1">Figure 1</xref></title>'
        '<table-wrap id="T9"><table><tr><td><xref ref-type="fig" rid="F1">1'
        "</xref></td></tr></table></table-wrap>"
        f"</sec>{fig('F1')}"
    )
    assert figures["F1#0"].inline_refs == []


def test_all_graphics_of_one_fig_share_its_inline_refs() -> None:
    figures = figures_of(f'<p>Panels <xref ref-type="fig" rid="F1">1</xref>.</p>{fig("F1", graphics=2)}')
    assert figures["F1#0"].inline_refs == figures["F1#1"].inline_refs == [InlineRef("Panels 1.", None, "1")]


def test_sub_article_paragraphs_cite_too() -> None:
    figures = figures_of(
        fig("F1"),
        after_back='<sub-article id="R1"><body><p>Reviewer on '
        '<xref ref-type="fig" rid="F1">Figure 1</xref>.</p>'
        "</body></sub-article>",
    )
    assert refs(figures, "F1#0") == [("Reviewer on Figure 1.", None, "Figure 1")]
