"""Which pair of a dedup group is canonical (DESIGN "Dedup" 4), as SQL terms and as a plain key.

Preference: not retracted, then the most permissive licence subset (commercial > noncommercial >
other > unknown), then the earliest publication (unknown dates last), then the article key, then the
figure's ordinal in its article. Every term is null-free, so the order is total and deterministic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

SUBSET_RANK: dict[str, int] = {"commercial": 0, "noncommercial": 1, "other": 2}
UNKNOWN_SUBSET_RANK = len(SUBSET_RANK)
_LATEST_DATE = dt.date.max


def preference_order() -> list[str]:
    """ORDER BY terms (over columns is_retracted, license_subset, pub_date, article_key, ordinal) that put
    the canonical pair first."""
    ranks = " ".join(f"WHEN '{subset}' THEN {rank}" for subset, rank in SUBSET_RANK.items())
    return [
        "coalesce(is_retracted, false) ASC",
        f"CASE license_subset {ranks} ELSE {UNKNOWN_SUBSET_RANK} END ASC",
        f"coalesce(pub_date, DATE'{_LATEST_DATE.isoformat()}') ASC",
        "coalesce(article_key, '') ASC",
        "coalesce(ordinal, 0) ASC",
    ]


def preference_key(pair: dict[str, Any]) -> tuple[bool, int, dt.date, str, int]:
    """The same order in Python: sort a group's pairs by this key and the first is canonical."""
    return (
        bool(pair.get("is_retracted") or False),
        SUBSET_RANK.get(pair.get("license_subset") or "", UNKNOWN_SUBSET_RANK),
        pair.get("pub_date") or _LATEST_DATE,
        pair.get("article_key") or "",
        int(pair.get("ordinal") or 0),
    )
