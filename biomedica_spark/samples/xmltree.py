"""A minimal XML tree for writing JATS: exact control over whitespace, escaping and namespaces.

The generator builds each article as a tree of `Element`s and renders it once. The same tree yields the
expected plain text of captions and paragraphs, so what the truth says is what the XML holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Union

Node = Union["Element", str]

# Elements whose text is a separate block: their contents are joined to neighbours with a space.
BLOCK_TAGS = frozenset({"title", "p", "list", "list-item", "caption", "label", "def-item", "term", "def"})

_WHITESPACE = re.compile(r"\s+")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    layout: bool = False  # children are elements only: pretty output puts each on its own line
    meta: Any = None  # generator bookkeeping (a figure record on <graphic>), never rendered

    def add(self, *children: Node | None) -> Element:
        self.children.extend(child for child in children if child is not None)
        return self

    def walk(self) -> Iterator[Element]:
        """Elements in document order, self first."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()


def el(tag: str, *children: Node | None, **attrs: str) -> Element:
    """Inline/text element. Attribute names use '_' for '-' and '__' for ':' (xlink__href)."""
    return Element(tag, _attr_names(attrs), [c for c in children if c is not None])


def block(tag: str, *children: Node | None, **attrs: str) -> Element:
    """Element holding only elements (sec, fig, caption...): pretty output indents its children."""
    node = el(tag, *children, **attrs)
    node.layout = True
    return node


def _attr_names(attrs: dict[str, str]) -> dict[str, str]:
    return {name.replace("__", ":").replace("_", "-"): value for name, value in attrs.items()}


def collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def inline_text(node: Node) -> str:
    """Concatenated text: inline elements add no spaces ("<italic>p</italic> < 0.05" -> "p < 0.05")."""
    if isinstance(node, str):
        return node
    parts = []
    for child in node.children:
        text = inline_text(child)
        is_block = isinstance(child, Element) and (child.tag in BLOCK_TAGS or child.layout)
        parts.append(f" {text} " if is_block else text)
    return "".join(parts)


def plain_text(node: Node) -> str:
    return collapse(inline_text(node))


@dataclass(frozen=True)
class RenderStyle:
    pretty: bool  # newlines and indentation between block children (PLOS-like) or none (PMC-like)
    ascii_refs: bool  # non-ASCII as numeric character references (&#x02013;), as legacy PMC files do
    local_xlink: bool  # declare xmlns:xlink on each element using it (new PMC XML) instead of the root


XLINK_NS = "http://www.w3.org/1999/xlink"


def render(node: Node, style: RenderStyle, depth: int = 0) -> str:
    if isinstance(node, str):
        return _escape_text(node, style.ascii_refs)
    attrs = dict(node.attrs)
    if style.local_xlink and any(name.startswith("xlink:") for name in attrs):
        attrs = {"xmlns:xlink": XLINK_NS, **attrs}
    opening = node.tag + "".join(f' {k}="{_escape_attr(v, style.ascii_refs)}"' for k, v in attrs.items())
    if not node.children:
        return f"<{opening}/>"
    if node.layout and style.pretty:
        indent = "\n" + "  " * (depth + 1)
        inner = "".join(indent + render(child, style, depth + 1) for child in node.children)
        return f"<{opening}>{inner}\n{'  ' * depth}</{node.tag}>"
    inner = "".join(render(child, style, depth + 1) for child in node.children)
    return f"<{opening}>{inner}</{node.tag}>"


def _escape_text(text: str, ascii_refs: bool) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ascii(escaped) if ascii_refs else escaped


def _escape_attr(text: str, ascii_refs: bool) -> str:
    return _escape_text(text, ascii_refs).replace('"', "&quot;")


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch if ord(ch) < 128 else f"&#x{ord(ch):05x};" for ch in text)
