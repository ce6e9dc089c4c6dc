"""Pair keys: deterministic, unique per figure, and free of dots (WebDataset splits sample keys at the
first dot, so `a.b.jpg` would read as sample `a` with extension `b.jpg`).

A figure is (article key, ordinal of the graphic in the article). Article keys of the form `PMC<digits>`
are kept as they are, readable; any other key (a DOI, `xml:<sha256>`) becomes `k` + 24 hex digits of its
sha256 (96 bits: a collision among 10^8 articles has odds below 10^-12).
"""

from __future__ import annotations

import hashlib
import re

_READABLE_KEY = re.compile(r"PMC\d+")
DIGEST_HEX_DIGITS = 24


def pair_key(article_key: str, ordinal: int) -> str:
    if _READABLE_KEY.fullmatch(article_key):
        article_part = article_key
    else:
        article_part = "k" + hashlib.sha256(article_key.encode("utf-8")).hexdigest()[:DIGEST_HEX_DIGITS]
    return f"{article_part}_{int(ordinal)}"
