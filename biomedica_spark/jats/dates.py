"""The article's publication date from its <pub-date> elements (NLM @pub-type or JATS 1.1+ @date-type)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from lxml import etree

from biomedica_spark.jats.text import child, children, element_text

_MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_ABBREVIATIONS, start=1)}
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")

# Preference when two dates tie; publication dates compete on being earliest, the fallbacks only
# count when an article has no publication date at all (pmc-release can trail by a year's embargo).
_ELECTRONIC, _PRINT, _COLLECTION, _PMC_RELEASE, _PREPRINT = range(5)
_PUBLICATION_RANKS = (_ELECTRONIC, _PRINT, _COLLECTION)
_PUB_TYPE_RANKS = {
    "epub": _ELECTRONIC,
    "ppub": _PRINT,
    "epub-ppub": _PRINT,
    "collection": _COLLECTION,
    "pmc-release": _PMC_RELEASE,
    "epreprint": _PREPRINT,
}


@dataclass(frozen=True)
class _Candidate:
    year: int
    month: int | None
    day: int | None
    rank: int

    @property
    def date(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, self.day or 1)


def publication_date(article_meta: etree._Element | None) -> tuple[str | None, int | None]:
    """(ISO 'YYYY-MM-DD', year) of the earliest publication date that has at least a month,
    ties broken electronic > print > collection; year-only and season-only dates get -01-01."""
    candidates = [c for c in map(_candidate, children(article_meta, "pub-date")) if c is not None]
    pool = [c for c in candidates if c.rank in _PUBLICATION_RANKS] or candidates
    if not pool:
        return None, None
    with_month = [c for c in pool if c.month is not None]
    if with_month:
        best = min(with_month, key=lambda c: (c.date, c.rank))
    else:
        best = min(pool, key=lambda c: (c.year, c.rank))
    return best.date.isoformat(), best.year


def _candidate(pub_date: etree._Element) -> _Candidate | None:
    rank = _rank(pub_date)
    if rank is None:
        return None
    year = _integer(element_text(child(pub_date, "year")))
    month = _month(element_text(child(pub_date, "month")))
    day = _integer(element_text(child(pub_date, "day")))
    if year is None:
        iso = _ISO_DATE.fullmatch((pub_date.get("iso-8601-date") or "").strip())
        if not iso:
            return None
        year, month, day = (int(part) if part else None for part in iso.groups())
    if year is None or not 1000 <= year <= 9999:
        return None
    if month is not None and not 1 <= month <= 12:
        month = None
    if day is not None and (month is None or not _valid_day(year, month, day)):
        day = None
    return _Candidate(year, month, day, rank)


def _rank(pub_date: etree._Element) -> int | None:
    """None for dates that are not about publication (date-type="update", "nihms-submitted"...)."""
    pub_type = (pub_date.get("pub-type") or "").strip().lower()
    if pub_type:
        return _PUB_TYPE_RANKS.get(pub_type)
    date_type = (pub_date.get("date-type") or "pub").strip().lower()
    if date_type == "collection":
        return _COLLECTION
    if date_type not in ("pub", "publication"):
        return None
    fmt = (pub_date.get("publication-format") or "").strip().lower()
    return _ELECTRONIC if fmt == "electronic" else _PRINT


def _integer(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _month(text: str) -> int | None:
    """'03', '3', 'Mar', 'March', 'Sept.' -> 3 or 9. <season> is never read: season-only is year-only."""
    if text.isdigit():
        return int(text)
    word = text.rstrip(".").lower()
    return _MONTHS.get(word[:3]) if word.isalpha() and len(word) >= 3 else None


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True
