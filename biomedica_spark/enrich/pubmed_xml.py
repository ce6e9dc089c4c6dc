"""PubMed/MEDLINE XML (`pubmed*.xml.gz` as NLM distributes them) to plain records, without Spark.

A file holds ~30,000 `PubmedArticle` records; update files also hold `DeleteCitation` lists. Files are
read as a stream with lxml's iterparse (a baseline file inflates to ~200 MB), each record element
cleared once converted, under the same safety rules as article XML: network off, no DTD loading, no
entity expansion, and a DOCTYPE that declares entities or attributes is refused before parsing.

Every record carries its `record_order` (file year, file number, position in the file), so "the newest
record per PMID wins, and a later deletion removes it" is one comparison wherever the records meet.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from biomedica_spark.jats.safe_xml import forbidden_declaration
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

# pubmed26n1234.xml.gz: the two-digit baseline year and the file number order every file of the set.
_FILE_NAME = re.compile(r"pubmed(\d{2})n(\d{1,5})", re.IGNORECASE)
_POSITIONS_PER_FILE = 10**8
_FILES_PER_YEAR = 10**5
_HEAD_BYTES = 1 << 16  # the DOCTYPE sits at the top of the file
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}


@dataclass(frozen=True)
class MeshHeading:
    descriptor: str
    descriptor_ui: str | None
    major_topic: bool
    qualifiers: tuple[tuple[str, str | None, bool], ...] = ()  # (name, ui, major topic)


@dataclass
class PubmedRecord:
    pmid: str
    record_order: int
    source_file: str
    pmid_version: int | None = None
    status: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    title: str | None = None
    abstract: str | None = None
    journal_title: str | None = None
    journal_iso: str | None = None
    medline_ta: str | None = None
    mesh: list[MeshHeading] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    chemicals: list[tuple[str, str | None, str | None]] = field(
        default_factory=list
    )  # name, ui, registry no.
    grants: list[tuple[str | None, str | None, str | None, str | None]] = field(
        default_factory=list
    )  # grant id, acronym, agency, country
    keywords: list[str] = field(default_factory=list)
    pub_year: int | None = None
    date_completed: dt.date | None = None
    date_revised: dt.date | None = None
    pubmed_date: dt.date | None = None


@dataclass(frozen=True)
class Deletion:
    """A `DeleteCitation` entry: the PMID's records up to this point are withdrawn."""

    pmid: str
    record_order: int
    source_file: str


def file_order(file_name: str) -> int:
    """The file's place in the PubMed set: baseline year, then file number (updates follow the baseline).
    Raises ValueError for names NLM does not use, so unordered files never decide which record wins."""
    match = _FILE_NAME.search(file_name.rsplit("/", 1)[-1])
    if match is None:
        raise ValueError(f"not a PubMed file name (pubmedYYnNNNN.xml.gz): {file_name}")
    return (int(match.group(1)) * _FILES_PER_YEAR + int(match.group(2))) * _POSITIONS_PER_FILE


def parse_pubmed_stream(
    stream: io.BufferedIOBase, file_name: str, max_bytes: int
) -> Iterator[PubmedRecord | Deletion | QuarantineItem]:
    """Records, deletions and quarantine items of one file's XML stream (already inflated), in order.

    Never raises for bad content: a malformed record or a broken file ends as a quarantine item, and
    whatever was read before it is kept."""
    try:
        base = file_order(file_name)
    except ValueError as error:
        yield _item(file_name, Reason.UNSUPPORTED_ARCHIVE, str(error))
        return
    source = _BoundedReader(stream, max_bytes)
    head = source.peek(_HEAD_BYTES)
    forbidden = forbidden_declaration(head)
    if forbidden:
        yield _item(file_name, Reason.XML_FORBIDDEN, forbidden)
        return
    position = 0
    events = etree.iterparse(
        source,
        events=("end",),
        tag=("PubmedArticle", "DeleteCitation", "PubmedBookArticle"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _, element in events:
            if element.tag == "PubmedArticle":
                position += 1
                yield _record_or_quarantine(element, base + position, file_name)
            elif element.tag == "DeleteCitation":
                for pmid_element in element.iterfind("PMID"):
                    position += 1
                    pmid = _text(pmid_element)
                    if pmid:
                        yield Deletion(pmid, base + position, file_name)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:  # drop converted siblings kept by the parent
                del element.getparent()[0]
    except _TooLarge as error:
        yield _item(file_name, Reason.XML_TOO_LARGE, str(error))
    except (etree.XMLSyntaxError, OSError, EOFError, zlib.error) as error:
        reason = Reason.XML_SYNTAX if isinstance(error, etree.XMLSyntaxError) else Reason.CORRUPT_ARCHIVE
        yield _item(file_name, reason, f"after {position} records: {error}")


def parse_pubmed_bytes(
    data: bytes, file_name: str, max_bytes: int
) -> Iterator[PubmedRecord | Deletion | QuarantineItem]:
    """As `parse_pubmed_stream`, for a file's bytes: `.xml.gz` (judged by the gzip magic) or plain XML."""
    if not data:
        yield _item(file_name, Reason.EMPTY_FILE, "0 bytes")
        return
    raw = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        yield from parse_pubmed_stream(gzip.GzipFile(fileobj=raw), file_name, max_bytes)
    else:
        yield from parse_pubmed_stream(raw, file_name, max_bytes)


def newest_records(events: Iterable[PubmedRecord | Deletion]) -> dict[str, PubmedRecord]:
    """The rule the Spark job applies, in plain Python: per PMID the event with the highest
    record_order wins; a deletion winning means no record."""
    latest: dict[str, PubmedRecord | Deletion] = {}
    for event in events:
        current = latest.get(event.pmid)
        if current is None or event.record_order > current.record_order:
            latest[event.pmid] = event
    return {pmid: event for pmid, event in latest.items() if isinstance(event, PubmedRecord)}


# --- one PubmedArticle ----------------------------------------------------------------------------------
def _record_or_quarantine(element: Any, order: int, file_name: str) -> PubmedRecord | QuarantineItem:
    citation = element.find("MedlineCitation")
    pmid_element = citation.find("PMID") if citation is not None else None
    pmid = _text(pmid_element)
    if citation is None or pmid_element is None or not pmid or not pmid.isdigit():
        return _item(file_name, Reason.XML_NOT_ARTICLE, f"record {order % _POSITIONS_PER_FILE} has no PMID")
    article = citation.find("Article")
    journal = article.find("Journal") if article is not None else None
    ids = {a.get("IdType"): _text(a) for a in element.iterfind("PubmedData/ArticleIdList/ArticleId")}
    return PubmedRecord(
        pmid=pmid,
        record_order=order,
        source_file=file_name,
        pmid_version=_int(pmid_element.get("Version")),
        status=citation.get("Status"),
        pmcid=_pmcid(ids.get("pmc")),
        doi=(ids.get("doi") or None),
        title=_all_text(article.find("ArticleTitle")) if article is not None else None,
        abstract=_abstract(article.find("Abstract")) if article is not None else None,
        journal_title=_text(journal.find("Title")) if journal is not None else None,
        journal_iso=_text(journal.find("ISOAbbreviation")) if journal is not None else None,
        medline_ta=_text(citation.find("MedlineJournalInfo/MedlineTA")),
        mesh=[_mesh_heading(h) for h in citation.iterfind("MeshHeadingList/MeshHeading")],
        publication_types=[
            t
            for t in (_text(p) for p in citation.iterfind("Article/PublicationTypeList/PublicationType"))
            if t
        ],
        chemicals=[
            (name, c.find("NameOfSubstance").get("UI"), _text(c.find("RegistryNumber")))
            for c in citation.iterfind("ChemicalList/Chemical")
            if (name := _text(c.find("NameOfSubstance")))
        ],
        grants=[
            (
                _text(g.find("GrantID")),
                _text(g.find("Acronym")),
                _text(g.find("Agency")),
                _text(g.find("Country")),
            )
            for g in citation.iterfind("Article/GrantList/Grant")
        ],
        keywords=[k for k in (_all_text(kw) for kw in citation.iterfind("KeywordList/Keyword")) if k],
        pub_year=_pub_year(journal),
        date_completed=_date(citation.find("DateCompleted")),
        date_revised=_date(citation.find("DateRevised")),
        pubmed_date=_date(element.find("PubmedData/History/PubMedPubDate[@PubStatus='pubmed']")),
    )


def _mesh_heading(heading: Any) -> MeshHeading:
    descriptor = heading.find("DescriptorName")
    return MeshHeading(
        descriptor=_text(descriptor) or "",
        descriptor_ui=descriptor.get("UI") if descriptor is not None else None,
        major_topic=descriptor is not None and descriptor.get("MajorTopicYN") == "Y",
        qualifiers=tuple(
            (_text(q) or "", q.get("UI"), q.get("MajorTopicYN") == "Y")
            for q in heading.iterfind("QualifierName")
        ),
    )


def _abstract(abstract: Any) -> str | None:
    """Paragraphs joined by newlines; a structured abstract keeps its labels as text ("METHODS: ...")."""
    if abstract is None:
        return None
    parts = []
    for section in abstract.iterfind("AbstractText"):
        text = _all_text(section)
        label = section.get("Label")
        if text:
            parts.append(f"{label}: {text}" if label else text)
    return "\n".join(parts) or None


def _pub_year(journal: Any) -> int | None:
    if journal is None:
        return None
    pub_date = journal.find("JournalIssue/PubDate")
    if pub_date is None:
        return None
    year = _int(_text(pub_date.find("Year")))
    if year is None:  # <MedlineDate>1998 Dec-1999 Jan</MedlineDate>
        found = re.search(r"\b(1[89]\d\d|2\d\d\d)\b", _text(pub_date.find("MedlineDate")) or "")
        year = int(found.group(1)) if found else None
    return year


def _date(element: Any) -> dt.date | None:
    if element is None:
        return None
    year = _int(_text(element.find("Year")))
    month_text = (_text(element.find("Month")) or "1").lower()
    month = _int(month_text) or _MONTHS.get(month_text[:3], 1)
    day = _int(_text(element.find("Day"))) or 1
    if year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _pmcid(value: str | None) -> str | None:
    if not value:
        return None
    digits = value.upper().removeprefix("PMC")
    return f"PMC{digits}" if digits.isdigit() else None


def _text(element: Any) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _all_text(element: Any) -> str | None:
    """Text with inline markup (<i>, <sup>) flattened; whitespace collapsed."""
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _item(file_name: str, reason: Reason, detail: str) -> QuarantineItem:
    return QuarantineItem(stage=Stage.XML, reason=reason, detail=detail, member_path=file_name)


# --- input streams --------------------------------------------------------------------------------------
class _TooLarge(Exception):
    pass


class _BoundedReader:
    """A file-like reader that stops at `limit` inflated bytes (a gzip bomb cannot fill memory)."""

    def __init__(self, raw: io.BufferedIOBase, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._read = 0
        self._pending = b""  # bytes peeked at but not yet read

    def peek(self, size: int) -> bytes:
        while len(self._pending) < size:
            chunk = self._raw.read(size - len(self._pending))
            if not chunk:
                break
            self._pending += chunk
        return self._pending[:size]

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            data, self._pending = self._pending + self._raw.read(), b""
        elif self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
        else:
            data = self._raw.read(size)
        self._read += len(data)
        if self._read > self._limit:
            raise _TooLarge(f"more than {self._limit} bytes inflated")
        return data
