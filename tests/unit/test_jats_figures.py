"""Figure rows from every JATS figure markup variant listed in PMC-FACTS.md."""

from __future__ import annotations

import pytest

from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.jats.model import Figure
from biomedica_spark.quarantine import Reason, Stage

NAMESPACES = 'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:mml="http://www.w3.org/1998/Math/MathML"'


def article_xml(
    body: str = "", back: str = "", after_back: str = "", abstract: str = "", xmlns: str = ""
) -> bytes:
    return (
        f'<article {NAMESPACES} {xmlns} article-type="research-article"><front><article-meta>'
        '<article-id pub-id-type="pmc">PMC1</article-id>'
        f"{abstract}</article-meta></front><body>{body}</body><back>{back}</back>{after_back}</article>"
    ).encode()


def figures_of(xml: bytes) -> list[Figure]:
    parsed = parse_xml(xml, "test.xml")
    assert parsed.quarantine == []
    [article] = parsed.articles
    return article.figures


def graphic(href: str) -> str:
    return f'<graphic xlink:href="{href}"/>'


def test_fig_with_label_title_paragraphs_and_panel_list() -> None:
    [figure] = figures_of(
        article_xml(
            '<sec><p>Text.</p><fig id="F1" fig-type="Figure" position="float"><label>Figure 1</label>'
            "<caption><title>Heart <italic>in vivo</italic>.</title>"
            "<p>(<bold>A</bold>) Fig.\n<xref>1</xref> shows\n   the "
            "<italic>a</italic><bold>b</bold> sample.</p>"
            "<p>Second paragraph.</p>"
            "<list><list-item><label>B</label><p>panel item</p>"
            "</list-item><list-item><p>last</p></list-item></list>"
            f"</caption>{graphic('gr1')}</fig></sec>"
        )
    )
    assert figure == Figure(
        ordinal=0,
        figure_id="F1",
        label="Figure 1",
        caption="Heart in vivo. (A) Fig. 1 shows the ab sample. Second paragraph. B panel item last",
        caption_title="Heart in vivo.",
        graphic_href="gr1",
        graphic_index=0,
        placement="body",
        fig_group_id=None,
        kind="figure",
        fig_type="Figure",
        sub_article_id=None,
        permissions=None,
        inline_refs=[],
    )


def test_caption_keeps_every_paragraph_not_just_the_first_child() -> None:
    [figure] = figures_of(
        article_xml(
            f'<fig id="F1"><caption><p>One.</p><p>Two.</p><p>Three.</p></caption>{graphic("g")}</fig>'
        )
    )
    assert figure.caption == "One. Two. Three."
    assert figure.caption_title is None


def test_figure_without_caption_label_or_id_still_yields_its_graphic() -> None:
    [figure] = figures_of(article_xml(f"<fig>{graphic('bare')}</fig>"))
    assert (figure.figure_id, figure.label, figure.caption, figure.caption_title) == (None, None, "", None)
    assert figure.graphic_href == "bare"


def test_figure_without_graphic_yields_no_row() -> None:
    assert (
        figures_of(article_xml('<fig id="F1"><label>Figure 1</label><caption><p>c</p></caption></fig>')) == []
    )


def test_several_graphics_in_one_fig_share_its_fields_and_count_graphic_index() -> None:
    figures = figures_of(
        article_xml(
            '<fig id="F1"><label>Figure 1</label><caption><p>c'
            f"</p></caption>{graphic('a')}{graphic('b')}</fig>"
        )
    )
    assert [(f.ordinal, f.graphic_index, f.graphic_href, f.label, f.caption) for f in figures] == [
        (0, 0, "a", "Figure 1", "c"),
        (1, 1, "b", "Figure 1", "c"),
    ]


def test_graphics_inside_alternatives_under_a_fig_are_found() -> None:
    figures = figures_of(
        article_xml(
            f'<fig id="F1"><caption><p>c</p></caption><alternatives>{graphic("hi.tif")}{graphic("lo.jpg")}'
            "</alternatives></fig>"
        )
    )
    assert [(f.graphic_href, f.graphic_index, f.caption) for f in figures] == [
        ("hi.tif", 0, "c"),
        ("lo.jpg", 1, "c"),
    ]


def test_not_figures_inline_graphic_formulas_chem_struct_media_supplements() -> None:
    body = (
        '<p>An icon <inline-graphic xlink:href="icon"/> in text.</p>'
        f'<disp-formula id="E1"><alternatives>{graphic("eq1")}<mml:math><mml:mi>x</mml:mi></mml:math>'
        "</alternatives></disp-formula>"
        f"<p><inline-formula>{graphic('eq2')}</inline-formula></p>"
        f"<chem-struct-wrap><chem-struct>{graphic('chem')}</chem-struct></chem-struct-wrap>"
        f'<media xlink:href="movie.mp4">{graphic("poster")}</media>'
        f'<supplementary-material id="S1">{graphic("suppl")}</supplementary-material>'
        f"<p>{graphic('loose')}</p>"
        f'<fig id="F1"><caption><p>c</p></caption>{graphic("real")}'
        f"<disp-formula>{graphic('eq-in-fig')}</disp-formula></fig>"
    )
    assert [f.graphic_href for f in figures_of(article_xml(body))] == ["real"]


def test_table_wrap_shipped_as_image_is_kind_table_and_cell_icons_are_not() -> None:
    body = (
        f'<fig id="F1"><label>Figure 1</label>{graphic("f1")}</fig>'
        '<table-wrap id="T1"><label>Table 1</label><caption><title>Doses.</title><p>Per kg.</p></caption>'
        f"{graphic('t1')}</table-wrap>"
        f'<table-wrap id="T2"><table><tr><td>{graphic("cell-icon")}</td></tr></table></table-wrap>'
        f'<fig id="F2">{graphic("f2")}</fig>'
    )
    figures = figures_of(article_xml(body))
    assert [(f.ordinal, f.kind, f.figure_id, f.label, f.caption, f.fig_type) for f in figures] == [
        (0, "figure", "F1", "Figure 1", "", None),
        (1, "table", "T1", "Table 1", "Doses. Per kg.", None),
        (2, "figure", "F2", None, "", None),
    ]


def test_fig_group_children_carry_the_group_id() -> None:
    body = (
        '<fig-group id="G1"><caption><p>group caption</p></caption>'
        f'<fig id="fig1"><label>Figure 1.</label>{graphic("f1")}</fig>'
        '<fig id="fig1s1" specific-use="child-fig">'
        f"<label>Figure 1—figure supplement 1.</label>{graphic('f1s1')}</fig>"
        f'</fig-group><fig-group><fig id="fig2">{graphic("f2")}</fig></fig-group>'
    )
    figures = figures_of(article_xml(body))
    assert [(f.figure_id, f.fig_group_id, f.graphic_href) for f in figures] == [
        ("fig1", "G1", "f1"),
        ("fig1s1", "G1", "f1s1"),
        ("fig2", None, "f2"),
    ]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (article_xml(body=f'<sec><p>Text <fig id="X">{graphic("g")}</fig> more.</p></sec>'), ("body", None)),
        (
            article_xml(after_back=f'<floats-group><fig id="X">{graphic("g")}</fig></floats-group>'),
            ("floats-group", None),
        ),
        (
            article_xml(after_back=f'<floats-wrap><fig id="X">{graphic("g")}</fig></floats-wrap>'),
            ("floats-group", None),
        ),
        (
            article_xml(back=f'<sec sec-type="display-objects"><fig id="X">{graphic("g")}</fig></sec>'),
            ("back", None),
        ),
        (
            article_xml(back=f'<app-group><app id="A1"><fig id="X">{graphic("g")}</fig></app></app-group>'),
            ("app", None),
        ),
        (
            article_xml(body=f'<boxed-text><p><fig id="X">{graphic("g")}</fig></p></boxed-text>'),
            ("boxed-text", None),
        ),
        (
            article_xml(
                back=f'<app-group><app><boxed-text><fig id="X">{graphic("g")}'
                "</fig></boxed-text></app></app-group>"
            ),
            ("boxed-text", None),
        ),
        (
            article_xml(
                after_back='<sub-article id="SA1" article-type="reply"><body><boxed-text>'
                f'<fig id="X">{graphic("g")}</fig></boxed-text></body></sub-article>'
            ),
            ("sub-article", "SA1"),
        ),
        (
            article_xml(
                after_back='<sub-article id="outer"><sub-article id="inner"><body>'
                f'<fig id="X">{graphic("g")}</fig></body></sub-article></sub-article>'
            ),
            ("sub-article", "inner"),
        ),
        (
            article_xml(
                abstract=f'<abstract abstract-type="graphical"><fig id="X">{graphic("g")}</fig></abstract>'
            ),
            ("front", None),
        ),
    ],
    ids=[
        "fig-in-p",
        "floats-group",
        "nlm-floats-wrap",
        "back",
        "app",
        "boxed-text",
        "boxed-text-in-app",
        "sub-article",
        "nested-sub-article",
        "graphical-abstract",
    ],
)
def test_placement_names_the_most_specific_container(where: bytes, expected: tuple[str, str | None]) -> None:
    [figure] = figures_of(where)
    assert (figure.placement, figure.sub_article_id) == expected


def test_figures_are_numbered_in_document_order_across_the_whole_article() -> None:
    xml = article_xml(
        abstract=f'<abstract abstract-type="graphical"><fig id="GA">{graphic("ga")}</fig></abstract>',
        body=f'<fig id="F1">{graphic("f1")}</fig><table-wrap id="T1">{graphic("t1")}</table-wrap>',
        back=f'<app-group><app><fig id="A1">{graphic("a1")}</fig></app></app-group>',
        after_back=f'<floats-group><fig id="F2">{graphic("f2")}</fig></floats-group>'
        f'<sub-article id="S"><body><fig id="R1">{graphic("r1")}</fig></body></sub-article>',
    )
    assert [(f.ordinal, f.figure_id) for f in figures_of(xml)] == [
        (0, "GA"),
        (1, "F1"),
        (2, "T1"),
        (3, "A1"),
        (4, "F2"),
        (5, "R1"),
    ]


def test_fig_type_is_kept_as_written() -> None:
    body = "".join(
        f'<fig id="F{i}" fig-type="{kind}">{graphic(str(i))}</fig>'
        for i, kind in enumerate(["figure", "Figure", "FIGURE", "image", "featured"])
    )
    assert [f.fig_type for f in figures_of(article_xml(body))] == [
        "figure",
        "Figure",
        "FIGURE",
        "image",
        "featured",
    ]


def test_figure_permissions_are_recorded_with_the_licence_url() -> None:
    body = (
        '<fig id="F1"><caption><p>c</p></caption><permissions>'
        "<copyright-statement>© 2019 Elsevier</copyright-statement>"
        '<license xlink:href="https://creativecommons.org/licenses/by/4.0/">'
        "<license-p>Reused under CC BY.</license-p>"
        f"</license></permissions>{graphic('g1')}</fig>"
        '<fig id="F2"><permissions><copyright-statement>Public domain'
        f"</copyright-statement></permissions>{graphic('g2')}</fig>"
        f'<fig id="F3">{graphic("g3")}</fig>'
    )
    assert [f.permissions for f in figures_of(article_xml(body))] == [
        "© 2019 Elsevier Reused under CC BY. https://creativecommons.org/licenses/by/4.0/",
        "Public domain",
        None,
    ]


def test_href_is_exactly_as_written_and_read_from_the_xlink_namespace() -> None:
    body = (
        '<fig id="F1"><graphic xlink:href="info:doi/10.1371/journal.pone.0046493.g001" href="wrong"/></fig>'
        '<fig id="F2"><graphic xlink:href=" spaced name.JPG" xlink:title="not this"/></fig>'
        '<fig id="F3"><graphic href="no-namespace-href"/></fig>'
    )
    assert [f.graphic_href for f in figures_of(article_xml(body))] == [
        "info:doi/10.1371/journal.pone.0046493.g001",
        " spaced name.JPG",
        "no-namespace-href",
    ]


def test_graphic_without_href_is_skipped_and_quarantined() -> None:
    xml = article_xml(
        f'<fig id="F1"><graphic/>{graphic("kept")}</fig><fig id="F2"><graphic xlink:href=""/></fig>'
    )
    parsed = parse_xml(xml, "PMC1.xml")
    assert [f.graphic_href for f in parsed.articles[0].figures] == ["kept"]
    assert [(q.stage, q.reason, q.detail, q.item, q.pmcid) for q in parsed.quarantine] == [
        (Stage.FIGURE, Reason.HREF_NOT_FOUND, "graphic without href", "F1", "PMC1"),
        (Stage.FIGURE, Reason.HREF_NOT_FOUND, "graphic without href", "F2", "PMC1"),
    ]


def test_default_jats_namespace_of_new_pmc_xml() -> None:
    xml = article_xml(
        '<fig id="F1"><label>Figure 1</label><caption><title>T.</title><p>P.</p></caption>'
        '<graphic xlink:href="gr1.jpg"/></fig>',
        xmlns='xmlns="http://jats.nlm.nih.gov"',
    )
    [figure] = figures_of(xml)
    assert (figure.figure_id, figure.label, figure.caption, figure.graphic_href) == (
        "F1",
        "Figure 1",
        "T. P.",
        "gr1.jpg",
    )


def test_nlm_2_markup_without_namespace_declarations_on_the_graphic() -> None:
    xml = (
        b'<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta/></front><body>'
        b'<fig id="g1" position="float"><label>Figure 1</label><caption><p>NLM caption</p></caption>'
        b'<graphic xlink:href="1471-2180-11-174-1" xmlns:xlink="http://www.w3.org/1999/xlink"/></fig></body></article>'
    )
    [figure] = figures_of(xml)
    assert (figure.caption, figure.graphic_href) == ("NLM caption", "1471-2180-11-174-1")
