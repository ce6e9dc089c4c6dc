"""Figure rows: one per <graphic> of every <fig> (and every table shipped as an image) in an article."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lxml import etree

from biomedica_spark.jats.model import Figure
from biomedica_spark.jats.text import XLINK_HREF, child, children, element_text, local_name
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

_OWNERS = frozenset({"fig", "table-wrap"})
# A graphic inside these is a formula, a video poster, a supplement or a table cell icon, not a figure.
_NOT_FIGURE_CONTEXTS = frozenset(
    {
        "chem-struct",
        "chem-struct-wrap",
        "disp-formula",
        "disp-formula-group",
        "inline-formula",
        "inline-supplementary-material",
        "media",
        "supplementary-material",
        "table",
    }
)
# Innermost of these names the placement; NLM 2.x wrote <floats-wrap> where JATS has <floats-group>.
_PLACEMENTS = {
    "app": "app",
    "back": "back",
    "body": "body",
    "boxed-text": "boxed-text",
    "floats-group": "floats-group",
    "floats-wrap": "floats-group",
    "front": "front",
}


@dataclass(eq=False)  # compared and hashed by identity: one per element
class CitableFigure:
    """A <fig> or image <table-wrap> that xrefs can cite, with the Figure rows of its graphics."""

    element: etree._Element
    kind: str  # "figure" | "table"
    figure_id: str | None
    fig_group_id: str | None
    is_child_fig: bool  # eLife figure supplement (specific-use="child-fig")
    rows: list[Figure] = field(default_factory=list)


def extract_figures(
    article: etree._Element, file_name: str, pmcid: str | None
) -> tuple[list[Figure], list[CitableFigure], list[QuarantineItem]]:
    """Figure rows in document order, the citable figures they belong to, and graphics without href."""
    figures: list[Figure] = []
    citables: dict[etree._Element, CitableFigure] = {}
    shared_fields: dict[etree._Element, Figure] = {}
    quarantine: list[QuarantineItem] = []
    for graphic in article.iter("{*}graphic"):
        owner = _owner(graphic)
        if owner is None:
            continue
        citable = citables.get(owner)
        if citable is None:
            citable = citables[owner] = _citable(owner)
            shared_fields[owner] = _shared_fields(owner, citable)
        href = graphic.get(XLINK_HREF) or graphic.get("href")
        if not href or not href.strip():
            quarantine.append(
                QuarantineItem(
                    stage=Stage.FIGURE,
                    reason=Reason.HREF_NOT_FOUND,
                    detail="graphic without href",
                    member_path=file_name,
                    item=citable.figure_id,
                    pmcid=pmcid,
                )
            )
            continue
        shared = shared_fields[owner]
        row = replace(
            shared,
            ordinal=len(figures),
            graphic_href=href,
            graphic_index=len(citable.rows),
            permissions=shared.permissions or _permissions_text(child(graphic, "permissions")),
            inline_refs=[],
        )
        citable.rows.append(row)
        figures.append(row)
    return figures, _all_citables(article, citables), quarantine


def _owner(graphic: etree._Element) -> etree._Element | None:
    """The <fig> or <table-wrap> a graphic illustrates, or None (formula, supplement, outside any fig)."""
    for ancestor in graphic.iterancestors():
        name = local_name(ancestor)
        if name in _OWNERS:
            return ancestor
        if name in _NOT_FIGURE_CONTEXTS or name == "article":
            return None
    return None


def _citable(owner: etree._Element) -> CitableFigure:
    fig_group = None
    for ancestor in owner.iterancestors():
        name = local_name(ancestor)
        if name == "fig-group":
            fig_group = ancestor
        if name in ("fig-group", "article"):
            break
    return CitableFigure(
        element=owner,
        kind="figure" if local_name(owner) == "fig" else "table",
        figure_id=owner.get("id"),
        fig_group_id=fig_group.get("id") if fig_group is not None else None,
        is_child_fig=(owner.get("specific-use") or "").lower() == "child-fig",
    )


def _all_citables(
    article: etree._Element, with_graphics: dict[etree._Element, CitableFigure]
) -> list[CitableFigure]:
    """Every <fig> in document order (so a range "Figs 1–3" can reach a figure between the two ends),
    plus the tables shipped as images."""
    citables = []
    for element in article.iter("{*}fig", "{*}table-wrap"):
        citable = with_graphics.get(element)
        if citable is None and local_name(element) == "fig":
            citable = _citable(element)
        if citable is not None:
            citables.append(citable)
    return citables


def _shared_fields(owner: etree._Element, citable: CitableFigure) -> Figure:
    """A Figure holding the fields every graphic of one owner shares; per-graphic fields are blank."""
    caption = child(owner, "caption")
    placement, sub_article_id = _placement(owner)
    return Figure(
        ordinal=0,
        figure_id=citable.figure_id,
        label=element_text(child(owner, "label")) or None,
        caption=element_text(caption),
        caption_title=element_text(child(caption, "title")) or None,
        graphic_href="",
        graphic_index=0,
        placement=placement,
        fig_group_id=citable.fig_group_id,
        kind=citable.kind,
        fig_type=owner.get("fig-type") if citable.kind == "figure" else None,
        sub_article_id=sub_article_id,
        permissions=_permissions_text(child(owner, "permissions")),
    )


def _placement(owner: etree._Element) -> tuple[str, str | None]:
    """(placement, sub-article id): a sub-article beats every other container, otherwise the
    innermost container names it (app inside back -> app, boxed-text inside body -> boxed-text)."""
    placement = None
    for ancestor in owner.iterancestors():
        name = local_name(ancestor)
        if name == "sub-article":
            return "sub-article", ancestor.get("id")
        if name == "article":
            break
        if placement is None:
            placement = _PLACEMENTS.get(name)
    return placement or "body", None


def _permissions_text(permissions: etree._Element | None) -> str | None:
    """Copyright statement and licence text of a third-party image, with the licence URL when the
    text does not already show it."""
    if permissions is None:
        return None
    text = element_text(permissions)
    urls = [
        href
        for license_ in children(permissions, "license")
        if (href := license_.get(XLINK_HREF) or license_.get("href")) and href not in text
    ]
    return " ".join([text, *urls]).strip() or None
