"""Plain text from JATS elements.

Whitespace is kept as written around inline markup (`Fig. <xref>1</xref> shows` reads "Fig. 1 shows",
`<italic>a</italic><bold>b</bold>` reads "ab"), a space is added only where a block element
(paragraph, title, list item, table cell...) starts or ends, and runs of whitespace collapse to one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from html.entities import html5

from lxml import etree

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Floats carry their own captions: text of the paragraph around them must not swallow those.
FLOAT_ELEMENTS = frozenset({"fig", "fig-group", "table-wrap", "table-wrap-group"})

# fmt: off
BLOCK_ELEMENTS = frozenset(
    {
        "abstract", "ack", "address", "aff", "alt-text", "answer", "app", "array", "article-title",
        "attrib", "back", "body", "boxed-text", "break", "caption", "chem-struct-wrap",
        "copyright-statement", "def", "def-item", "def-list", "disp-formula", "disp-quote",
        "element-citation", "fig", "fig-group", "fn", "fn-group", "graphic", "kwd", "label",
        "license", "license-p", "list", "list-item", "long-desc", "media", "mixed-citation",
        "notes", "p", "permissions", "preformat", "question", "ref", "ref-list", "sec", "speaker",
        "speech", "statement", "sub-article", "subtitle", "supplementary-material", "table",
        "table-wrap", "table-wrap-foot", "tbody", "td", "term", "tfoot", "th", "thead", "title",
        "tr", "trans-abstract", "trans-title", "verse-group", "verse-line",
    }
)
# fmt: on

_BLOCK_BREAK = "\x00"  # marks block boundaries while collecting: U+0000 can never occur in XML text
_local_names: dict[str, str] = {}


def local_name(el: etree._Element) -> str:
    """The tag without its namespace ("" for entity references and other non-elements)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    name = _local_names.get(tag)
    if name is None:
        name = _local_names[tag] = tag.rpartition("}")[2]
    return name


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    """First child element with this local name."""
    if el is None:
        return None
    for candidate in el:
        if local_name(candidate) == name:
            return candidate
    return None


def children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if el is None:
        return
    for candidate in el:
        if local_name(candidate) == name:
            yield candidate


def element_text(el: etree._Element | None, skip: Collection[str] = (), block_separator: str = " ") -> str:
    """Text of `el` and its descendants, minus subtrees whose local name is in `skip`.

    Blocks are joined with `block_separator` (" " for captions and titles, "\\n\\n" to keep
    paragraphs apart in body text); inside a block whitespace is collapsed.
    """
    if el is None:
        return ""
    pieces: list[str] = []
    _collect(el, pieces, frozenset(skip), None)
    return join_pieces(pieces, block_separator)


def join_pieces(pieces: list[str], block_separator: str = " ") -> str:
    text = "".join(pieces)
    if block_separator == " ":
        return " ".join(text.replace(_BLOCK_BREAK, " ").split())
    blocks = (" ".join(block.split()) for block in text.split(_BLOCK_BREAK))
    return block_separator.join(block for block in blocks if block)


def collect_pieces(
    el: etree._Element,
    skip: frozenset[str],
    spans: dict[etree._Element, tuple[int, int]] | None = None,
) -> list[str]:
    """Raw text pieces of `el` (block boundaries marked); fills `spans` with the piece range of each
    element that is a key of it, so callers can cut out e.g. the text between two xrefs."""
    pieces: list[str] = []
    _collect(el, pieces, skip, spans)
    return pieces


def _collect(
    el: etree._Element,
    out: list[str],
    skip: frozenset[str],
    spans: dict[etree._Element, tuple[int, int]] | None,
) -> None:
    # The hot path of the parser: local_name() is inlined, and entity references are handled by
    # the caller's loop, so `el` is always an element here.
    tag = el.tag
    name = _local_names.get(tag)
    if name is None:
        name = local_name(el)
    if name in skip:
        return
    start = len(out)
    block = name in BLOCK_ELEMENTS
    if block:
        out.append(_BLOCK_BREAK)
    if el.text:
        out.append(el.text)
    for sub in _preferred_renditions(el) if name == "alternatives" else el:
        if sub.tag.__class__ is str:
            _collect(sub, out, skip, spans)
        elif sub.tag is etree.Entity:
            out.append(_entity_text(sub))
        if sub.tail:
            out.append(sub.tail)
    if block:
        out.append(_BLOCK_BREAK)
    if spans is not None and el in spans:
        spans[el] = (start, len(out))


def _preferred_renditions(alternatives: etree._Element) -> list[etree._Element]:
    """Inside <alternatives> TeX duplicates the MathML (and starts with a LaTeX preamble): keep one."""
    renditions = list(alternatives)
    if any(local_name(r) == "math" for r in renditions):
        return [r for r in renditions if local_name(r) != "tex-math"]
    return renditions


def _entity_text(entity: etree._Element) -> str:
    """Named entities no DTD defined (&nbsp; in publisher XML) are kept by the parser as references."""
    name = entity.text[1:-1] if entity.text else ""
    return html5.get(name + ";", entity.text or "")
