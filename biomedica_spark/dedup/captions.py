"""Caption normalisation for pair dedup: two captions that differ only in form get one key.

NFKC (ligatures, full-width and compatibility characters), case-folding, all whitespace runs collapsed
to one space, and a leading figure label removed ("Figure 2.", "Fig. 2B:", "Supplementary Figure S3 –"),
because the same image reused in two articles is usually renumbered.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Applied after case-folding. The label needs a number, so "Figures show..." keeps its first word.
_LEADING_LABEL = re.compile(
    r"""^(?:(?:supplementary|supplemental|suppl\.?|extended\s+data|appendix)\s+)?
        (?:figure|figura|fig\.?|figs\.?|abb\.?|abbildung|scheme|plate|chart)\s*
        s?\d+[a-z]?                                # 2, 2b, s3
        (?:\s*[-–—,]\s*s?\d*[a-z]?(?![a-z]))*      # ranges and lists: 2a-c, 2b, c
        \s*(?:[.:|)\-–—]+\s*|\s|$)                 # the label's own punctuation
    """,
    re.VERBOSE,
)


def normalize_caption(caption: str | None) -> str:
    if caption is None:
        return ""
    text = " ".join(unicodedata.normalize("NFKC", caption).casefold().split())
    return _LEADING_LABEL.sub("", text, count=1).strip()


def caption_key(caption: str | None) -> str:
    """sha256 hex of the normalised caption: the caption part of the pair dedup key."""
    return hashlib.sha256(normalize_caption(caption).encode("utf-8")).hexdigest()
