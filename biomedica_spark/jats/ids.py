"""Article identifiers: normalised PMCID / PMID / DOI and the article key that is never null."""

from __future__ import annotations

import hashlib
import re

from lxml import etree

_PMCID = re.compile(r"(?:PMC)?0*(\d+)", re.IGNORECASE)
# "CRAFT_PMC1069131_Nucleic..." or "PMC7112410/main.nxml", not the "pmc" inside "tidypmc_PMC..."
_PMCID_IN_NAME = re.compile(r"(?<![A-Za-z])PMC0*(\d+)(?!\d)", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def normalise_pmcid(value: str | None) -> str | None:
    """'PMC123', 'pmc0123' or '123' -> 'PMC123'; anything else (e.g. 'PMC123.1') -> None."""
    if not value:
        return None
    match = _PMCID.fullmatch(value.strip())
    return f"PMC{match.group(1)}" if match and match.group(1) != "0" else None


def pmcid_from_file_name(file_name: str) -> str | None:
    """The PMCID a file (or member) path names, when it names exactly one."""
    found = {match.group(1) for match in _PMCID_IN_NAME.finditer(file_name)}
    return f"PMC{found.pop()}" if len(found) == 1 else None


def normalise_pmid(value: str | None) -> str | None:
    """Digits only; the oa_file_list uses '0' for 'no PMID'."""
    if not value:
        return None
    value = value.strip()
    return value.lstrip("0") if _DIGITS.fullmatch(value) and value.strip("0") else None


def normalise_doi(value: str | None) -> str | None:
    """'https://doi.org/10.1/x', 'doi:10.1/x' or '10.1/x' -> '10.1/x' (case kept as written)."""
    if not value:
        return None
    match = _DOI.search(_DOI_PREFIX.sub("", value.strip()))
    return match.group(0).rstrip(".,;") if match else None


def article_key(
    pmcid: str | None, file_pmcid: str | None, doi: str | None, article: etree._Element
) -> tuple[str, str]:
    """(key, key_source), first of: PMCID, PMCID from the file name, DOI, sha256 of the XML."""
    if pmcid:
        return pmcid, "pmcid"
    if file_pmcid:
        return file_pmcid, "file_name"
    if doi:
        return f"doi:{doi.lower()}", "doi"
    digest = hashlib.sha256(etree.tostring(article, with_tail=False)).hexdigest()
    return f"xml:{digest}", "xml_sha256"
