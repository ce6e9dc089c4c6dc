"""The legacy file list: quoted citations, empty PMIDs, dates without time, bad rows with reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from biomedica_spark.acquire.filelist import parse_file_list, parse_last_updated

UTC = dt.timezone.utc


def test_quoted_citations_empty_pmids_and_dates_without_time() -> None:
    text = (
        "File,Article Citation,Accession ID,Last Updated (YYYY-MM-DD HH:MM:SS),PMID,License\n"
        'oa_package/08/e0/PMC13900.tar.gz,"Breast Cancer Res. 2001 Nov 2; 3(1):55-60, suppl",PMC13900,'
        "2019-11-05 11:56:12,11250746,CC BY\n"
        "oa_package/52/d6/PMC48154.tar.gz,BMC Biotechnol. 2001 Aug 14; 1:3,PMC48154,2012-09-17,,CC BY-NC-ND\n"
        "oa_package/93/8c/PMC56221.tar.gz,Mol Biol Cell,PMC56221,2014-12-29 20:20:01,0,NO-CC CODE\n"
    )
    entries, bad = parse_file_list(text.encode())
    assert bad == []
    first, second, third = entries
    assert first.citation == "Breast Cancer Res. 2001 Nov 2; 3(1):55-60, suppl"
    assert first.pmid == "11250746" and first.license_subset == "commercial"
    assert first.last_updated == dt.datetime(2019, 11, 5, 11, 56, 12, tzinfo=UTC)
    assert second.last_updated == dt.datetime(2012, 9, 17, tzinfo=UTC)
    assert second.pmid is None and second.license_subset == "noncommercial"
    assert third.pmid is None and third.license_subset == "other"


def test_bad_rows_come_back_with_a_reason() -> None:
    text = (
        "oa_package/aa/bb/PMC1.tar.gz,c,not-an-id,2020-01-01,,CC BY\n"
        "../../etc/passwd.tar.gz,c,PMC2,2020-01-01,,CC BY\n"
        "oa_package/aa/bb/PMC3.tar.gz,c,PMC3,yesterday,,CC BY\n"
        "oa_package/aa/bb/PMC4.tar.gz,only four,PMC4\n"
        "oa_package/aa/bb/PMC5.tar.gz,c,PMC5,2020-01-01,,CC BY\n"
    )
    entries, bad = parse_file_list(text)
    assert [e.pmcid for e in entries] == ["PMC5"]
    assert [(b.line, b.reason) for b in bad] == [
        (1, "bad_accession_id"),
        (2, "bad_package_path"),
        (3, "bad_last_updated"),
        (4, "too_few_columns"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-05 11:56:12", dt.datetime(2019, 11, 5, 11, 56, 12, tzinfo=UTC)),
        ("2019-11-05", dt.datetime(2019, 11, 5, tzinfo=UTC)),
        ("06-04-20 14:56", dt.datetime(2020, 4, 6, 14, 56, tzinfo=UTC)),  # a spreadsheet's rewrite
        ("", None),
        ("soon", None),
    ],
)
def test_last_updated_formats(text: str, expected: dt.datetime | None) -> None:
    assert parse_last_updated(text) == expected


@pytest.mark.corpus
def test_real_file_lists_parse_completely(real_corpus_dir: Path) -> None:
    folder = real_corpus_dir / "filelists"
    entries, bad = parse_file_list((folder / "geralddzx-capstone_oa_file_list.csv").read_bytes())
    assert len(entries) == 10_000 and bad == []
    assert sum(e.pmid is None for e in entries) > 0
    entries, bad = parse_file_list((folder / "seanBr97-covid_oa_file_list.csv").read_bytes())
    assert [e.pmcid for e in entries] == ["PMC7112410", "PMC7135076", "PMC7159286", "PMC7159299"]
    assert entries[0].last_updated == dt.datetime(2020, 4, 6, 14, 56, tzinfo=UTC) and bad == []
