"""Licence codes as PMC writes them ("CC BY-NC-ND", "NO-CC CODE") from the many spellings in the wild."""

from __future__ import annotations

import re

CC0 = "CC0"
NO_CC_CODE = "NO-CC CODE"
LICENSE_CODES = (CC0, "CC BY", "CC BY-SA", "CC BY-ND", "CC BY-NC", "CC BY-NC-SA", "CC BY-NC-ND", NO_CC_CODE)
COMMERCIAL = frozenset({CC0, "CC BY", "CC BY-SA", "CC BY-ND"})
NONCOMMERCIAL = frozenset({"CC BY-NC", "CC BY-NC-SA", "CC BY-NC-ND"})

_CC_URL = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)", re.IGNORECASE)
_CC_CODE = re.compile(r"\bcc[\s_-]*(0|zero|by(?:[\s_-]*(?:nc|sa|nd))*)(?![a-z])", re.IGNORECASE)
_CREATIVE_COMMONS = re.compile(r"creative[\s-]*commons", re.IGNORECASE)
_NONCOMMERCIAL = re.compile(r"non[\s-]*commercial", re.IGNORECASE)
_NODERIVATIVES = re.compile(r"no[\s-]*deriv", re.IGNORECASE)
_SHAREALIKE = re.compile(r"share[\s-]*alike", re.IGNORECASE)
_PUBLIC_DOMAIN_DEDICATION = re.compile(r"\bcc0\b|\bzero\b|public[\s-]*domain[\s-]*dedication", re.IGNORECASE)


def normalise_license(code_or_url_or_text: str | None) -> str:
    """One of LICENSE_CODES for a licence code ('CC-BY', 'CC BY 4.0'), a licence URL
    (creativecommons.org/licenses/by-nc-nd/4.0/, .../publicdomain/zero/1.0/) or licence text
    ('Creative Commons Attribution-NonCommercial License'). Whatever names no CC licence,
    'open-access' included, is NO-CC CODE."""
    if not code_or_url_or_text:
        return NO_CC_CODE
    value = code_or_url_or_text.strip()
    url = _CC_URL.search(value)
    if url:
        kind, terms = url.group(1).lower(), url.group(2).lower()
        if kind == "publicdomain":
            return CC0 if terms == "zero" else NO_CC_CODE
        return _by_code(terms) if terms.startswith("by") else NO_CC_CODE
    code = _CC_CODE.search(value)
    if code:
        terms = code.group(1).lower()
        return CC0 if terms in ("0", "zero") else _by_code(terms)
    if _CREATIVE_COMMONS.search(value):
        if _PUBLIC_DOMAIN_DEDICATION.search(value):
            return CC0
        if "attribution" in value.lower():
            return _by_code(
                "by"
                + ("-nc" if _NONCOMMERCIAL.search(value) else "")
                + ("-nd" if _NODERIVATIVES.search(value) else "")
                + ("-sa" if _SHAREALIKE.search(value) else "")
            )
    return NO_CC_CODE


def license_subset(code: str | None) -> str:
    """commercial | noncommercial | other, the three BIOMEDICA / PMC OA subsets."""
    if code in COMMERCIAL:
        return "commercial"
    if code in NONCOMMERCIAL:
        return "noncommercial"
    return "other"


def _by_code(terms: str) -> str:
    """'by-nc-nd', 'by_nc_sa', 'bync' -> 'CC BY-NC-ND' etc. ND wins over SA (they cannot combine)."""
    parts = set(re.findall(r"nc|sa|nd", terms[2:].lower()))
    suffix = "-ND" if "nd" in parts else "-SA" if "sa" in parts else ""
    return ("CC BY-NC" if "nc" in parts else "CC BY") + suffix
