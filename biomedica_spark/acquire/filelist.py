"""The legacy PMC file list `oa_file_list.csv`: one row per OA package.

Columns: File, Article Citation, Accession ID, Last Updated (YYYY-MM-DD HH:MM:SS), PMID, License.
Seen in the wild: a header row or none, citations with commas (quoted), empty or 0 PMIDs, dates without
time, and dates a spreadsheet rewrote as `DD-MM-YY HH:MM`. Rows that cannot be used come back with a
reason, never silently dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from biomedica_spark.jats.licenses import license_subset, normalise_license

_PMCID = re.compile(r"^(?:PMC)?(\d+)$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%y %H:%M", "%d-%m-%y")


@dataclass(frozen=True)
class FileListEntry:
    package_path: str  # relative to the mirror root, e.g. oa_package/08/e0/PMC13900.tar.gz
    citation: str
    pmcid: str  # PMC<digits>
    last_updated: dt.datetime | None  # UTC; None when the list gives no usable date
    pmid: str | None  # None for empty or 0
    license_code: str  # normalised code
    license_subset: str


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    text: str


def parse_last_updated(text: str) -> dt.datetime | None:
    """A Last Updated cell as a UTC datetime; None when it is empty or in no known format."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    return None


def normalise_pmcid(text: str) -> str | None:
    match = _PMCID.match(text.strip())
    return f"PMC{int(match.group(1))}" if match else None


def parse_file_list(data: bytes | str) -> tuple[list[FileListEntry], list[BadRow]]:
    """Every usable row of a file list, and the rows that are not usable with why."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    return parse_rows(csv.reader(io.StringIO(text)))


def parse_rows(rows: Iterable[list[str]]) -> tuple[list[FileListEntry], list[BadRow]]:
    entries: list[FileListEntry] = []
    bad: list[BadRow] = []
    for line, row in enumerate(rows, start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if line == 1 and row[0].strip().lower() == "file":
            continue  # header
        if len(row) < 6:
            bad.append(BadRow(line, "too_few_columns", ",".join(row)))
            continue
        path, citation, accession, updated, pmid, licence = (cell.strip() for cell in row[:6])
        pmcid = normalise_pmcid(accession)
        if pmcid is None:
            bad.append(BadRow(line, "bad_accession_id", accession))
            continue
        if not path.lower().endswith((".tar.gz", ".tgz", ".zip")) or ".." in path.split("/"):
            bad.append(BadRow(line, "bad_package_path", path))
            continue
        last_updated = parse_last_updated(updated) if updated else None
        if updated and last_updated is None:
            bad.append(BadRow(line, "bad_last_updated", updated))
            continue
        code = normalise_license(licence)
        entries.append(
            FileListEntry(
                package_path=path.lstrip("/"),
                citation=citation,
                pmcid=pmcid,
                last_updated=last_updated,
                pmid=pmid if pmid and pmid != "0" else None,
                license_code=code,
                license_subset=license_subset(code),
            )
        )
    return entries, bad
