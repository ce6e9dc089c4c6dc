"""Properties of the caption and text functions on any input: clean text out, never an exception."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from biomedica_spark.dedup.captions import caption_key, normalize_caption
from biomedica_spark.jats.safe_xml import parse_secure
from biomedica_spark.jats.text import element_text

FAST = settings(max_examples=200, deadline=None)

ANY_TEXT = st.text(max_size=80) | st.none()
LABELLED = st.tuples(
    st.sampled_from(["Figure 2.", "Fig. 2B:", "Supplementary Figure S3 –", "FIGURE 10 ", "Figs. 1-3", ""]),
    st.text(max_size=40),
).map(" ".join)
TAGS = [
    "p",
    "italic",
    "bold",
    "sec",
    "title",
    "xref",
    "fig",
    "caption",
    "list-item",
    "alternatives",
    "tex-math",
]


@FAST
@given(ANY_TEXT | LABELLED)
def test_normalised_captions_are_clean_and_keys_are_hashes(caption: str | None) -> None:
    normalised = normalize_caption(caption)
    assert normalised == normalised.strip()
    assert not re.search(r"\s\s", normalised) and "\n" not in normalised
    assert re.fullmatch(r"[0-9a-f]{64}", caption_key(caption))


@FAST
@given(st.text(max_size=60), st.sampled_from([" ", "\n", "\t ", "\u3000", "  \r\n"]))
def test_caption_keys_ignore_how_whitespace_is_written(caption: str, space: str) -> None:
    assert caption_key(space.join(caption.split(" "))) == caption_key(" ".join(caption.split()))


@st.composite
def xml_tree(draw: st.DrawFn) -> bytes:
    def element(depth: int) -> str:
        tag = draw(st.sampled_from(TAGS))
        parts = [_escape(draw(st.text(max_size=10)))]
        for _ in range(draw(st.integers(0, 3 if depth < 6 else 0))):
            parts.append(element(depth + 1))
            parts.append(_escape(draw(st.text(max_size=10))))
        return f"<{tag}>{''.join(parts)}</{tag}>"

    return element(0).encode("utf-8", "surrogatepass")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@FAST
@given(xml_tree() | st.binary(max_size=300), st.sampled_from([" ", "\n\n"]), st.lists(st.sampled_from(TAGS)))
def test_element_text_of_any_tree_is_clean(data: bytes, separator: str, skip: list[str]) -> None:
    parsed = parse_secure(data, "a.xml", max_bytes=1 << 20)
    if parsed.root is None:
        assert parsed.quarantine  # no tree: there is a reason
        return
    text = element_text(parsed.root, skip=skip, block_separator=separator)
    assert "\x00" not in text and text == text.strip()
    blocks = text.split(separator) if separator != " " else [text]
    assert all(block == " ".join(block.split()) for block in blocks)
    if not skip:  # every character of the document's text is kept, whitespace aside
        everything = "".join(parsed.root.itertext())
        assert "".join(text.split()) == "".join(everything.split()) or parsed.recovered
    assert isinstance(etree.tostring(parsed.root), bytes)
