"""The paragraphs that cite each figure.

An <xref> cites whatever its rid (IDREFS: "F1 F2") points at: a fig, a fig-group (all its figs) or
an image table-wrap, whatever its ref-type says. "Figs. 1–3" written as two xrefs with a dash
between them also cites the figures in between.
"""

from __future__ import annotations

import re
from itertools import pairwise

from lxml import etree

from biomedica_spark.jats.figures import CitableFigure
from biomedica_spark.jats.model import InlineRef
from biomedica_spark.jats.text import (
    FLOAT_ELEMENTS,
    child,
    collect_pieces,
    element_text,
    join_pieces,
    local_name,
)

_RANGE_SEPARATOR = re.compile(r"[-‐‑‒–—−]|to|through", re.IGNORECASE)
_XrefSpans = dict[etree._Element, tuple[int, int]]


def attach_inline_refs(article: etree._Element, citables: list[CitableFigure]) -> None:
    """Fill `inline_refs` of every Figure row: one InlineRef per (paragraph, figure), in document order."""
    targets_by_id = _targets_by_id(citables)
    if not targets_by_id:
        return
    citing_xrefs: dict[etree._Element, list[tuple[etree._Element, list[CitableFigure]]]] = {}
    for xref in article.iter("{*}xref"):
        targets = [t for rid in (xref.get("rid") or "").split() for t in targets_by_id.get(rid, ())]
        if not targets:
            continue
        paragraph = _innermost_paragraph(xref)
        if paragraph is not None:
            citing_xrefs.setdefault(paragraph, []).append((xref, list(dict.fromkeys(targets))))

    sequences = _sequences(citables)
    section_titles: dict[etree._Element, str | None] = {}
    refs: dict[CitableFigure, list[InlineRef]] = {}
    for paragraph, xrefs in citing_xrefs.items():
        text, cited = _cited_in_paragraph(paragraph, xrefs, sequences)
        if not cited:
            continue
        section_title = _section_title(paragraph, section_titles)
        for citable, xref_texts in cited.items():
            refs.setdefault(citable, []).append(
                InlineRef(paragraph=text, section_title=section_title, xref_text="; ".join(xref_texts))
            )
    for citable in citables:
        for row in citable.rows:
            row.inline_refs = list(refs.get(citable, ()))


def _targets_by_id(citables: list[CitableFigure]) -> dict[str, list[CitableFigure]]:
    targets: dict[str, list[CitableFigure]] = {}
    for citable in citables:
        if citable.figure_id:
            targets.setdefault(citable.figure_id, []).append(citable)
        if citable.fig_group_id:
            targets.setdefault(citable.fig_group_id, []).append(citable)
    return targets


def _innermost_paragraph(xref: etree._Element) -> etree._Element | None:
    """The <p> holding the xref; None when a float (fig label, caption title, table cell) or the
    article itself comes first."""
    for ancestor in xref.iterancestors():
        name = local_name(ancestor)
        if name == "p":
            return ancestor
        if name in FLOAT_ELEMENTS or name == "article":
            return None
    return None


def _sequences(citables: list[CitableFigure]) -> dict[CitableFigure, tuple[list[CitableFigure], int]]:
    """Each citable's numbering sequence (figures, figure supplements, tables) and its place in it."""
    by_kind: dict[tuple[str, bool], list[CitableFigure]] = {}
    for citable in citables:
        by_kind.setdefault((citable.kind, citable.is_child_fig), []).append(citable)
    return {c: (sequence, index) for sequence in by_kind.values() for index, c in enumerate(sequence)}


def _cited_in_paragraph(
    paragraph: etree._Element,
    xrefs: list[tuple[etree._Element, list[CitableFigure]]],
    sequences: dict[CitableFigure, tuple[list[CitableFigure], int]],
) -> tuple[str, dict[CitableFigure, list[str]]]:
    """The paragraph's text, and citable -> the xref texts citing it there (deduplicated, in order)."""
    spans: _XrefSpans = {xref: (0, 0) for xref, _ in xrefs}
    pieces = collect_pieces(paragraph, FLOAT_ELEMENTS, spans)
    own_captions = set(paragraph.iterancestors())  # a figure's own caption does not cite it
    cited: dict[CitableFigure, dict[str, None]] = {}

    def cite(citable: CitableFigure, xref_text: str) -> None:
        if citable.element not in own_captions:
            cited.setdefault(citable, {})[xref_text] = None

    for xref, targets in xrefs:
        start, end = spans[xref]
        for target in targets:
            cite(target, join_pieces(pieces[start:end]))
    for (first, first_targets), (last, last_targets) in pairwise(xrefs):
        between = _range_between(first_targets, last_targets, sequences)
        if between and _RANGE_SEPARATOR.fullmatch(join_pieces(pieces[spans[first][1] : spans[last][0]])):
            range_text = join_pieces(pieces[spans[first][0] : spans[last][1]])
            for citable in between:
                cite(citable, range_text)
    return join_pieces(pieces), {citable: list(texts) for citable, texts in cited.items()}


def _range_between(
    first: list[CitableFigure],
    last: list[CitableFigure],
    sequences: dict[CitableFigure, tuple[list[CitableFigure], int]],
) -> list[CitableFigure]:
    """Figures strictly between two single-figure xrefs of the same sequence, in document order."""
    if len(first) != 1 or len(last) != 1:
        return []
    first_sequence, first_index = sequences[first[0]]
    last_sequence, last_index = sequences[last[0]]
    if first_sequence is not last_sequence:
        return []
    return first_sequence[first_index + 1 : last_index]


def _section_title(paragraph: etree._Element, cache: dict[etree._Element, str | None]) -> str | None:
    for ancestor in paragraph.iterancestors():
        name = local_name(ancestor)
        if name == "sec":
            if ancestor not in cache:
                cache[ancestor] = element_text(child(ancestor, "title")) or None
            return cache[ancestor]
        if name == "article":
            return None
    return None
