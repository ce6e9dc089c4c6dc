"""PubMed/MEDLINE XML parsing: values land on the right PMIDs, deletions and newer records win."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from biomedica_spark.enrich.pubmed_xml import (
    Deletion,
    PubmedRecord,
    file_order,
    newest_records,
    parse_pubmed_bytes,
)
from biomedica_spark.quarantine import QuarantineItem, Reason

HEADER = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet'
    b' PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)

STRUCTURED = b"""
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">31000001</PMID>
    <DateCompleted><Year>2019</Year><Month>07</Month><Day>15</Day></DateCompleted>
    <DateRevised><Year>2020</Year><Month>Feb</Month><Day>03</Day></DateRevised>
    <Article PubModel="Print-Electronic">
      <Journal>
        <JournalIssue CitedMedium="Internet">
          <PubDate><Year>2019</Year><Month>Apr</Month></PubDate>
        </JournalIssue>
        <Title>PloS one</Title><ISOAbbreviation>PLoS One</ISOAbbreviation>
      </Journal>
      <ArticleTitle>Imaging of <i>Mus musculus</i> livers.</ArticleTitle>
      <Abstract>
        <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Livers   matter.</AbstractText>
        <AbstractText Label="METHODS" NlmCategory="METHODS">We imaged them with H<sub>2</sub>O.</AbstractText>
      </Abstract>
      <GrantList CompleteYN="Y">
        <Grant>
          <GrantID>R01 GM000001</GrantID><Acronym>GM</Acronym>
          <Agency>NIGMS NIH HHS</Agency><Country>United States</Country>
        </Grant>
      </GrantList>
      <PublicationTypeList>
        <PublicationType UI="D016428">Journal Article</PublicationType>
        <PublicationType UI="D013485">Research Support, Non-U.S. Gov't</PublicationType>
      </PublicationTypeList>
    </Article>
    <MedlineJournalInfo><MedlineTA>PLoS One</MedlineTA></MedlineJournalInfo>
    <ChemicalList><Chemical>
      <RegistryNumber>059QF0KO0R</RegistryNumber><NameOfSubstance UI="D014867">Water</NameOfSubstance>
    </Chemical></ChemicalList>
    <MeshHeadingList>
      <MeshHeading><DescriptorName UI="D000818" MajorTopicYN="N">Animals</DescriptorName></MeshHeading>
      <MeshHeading>
        <DescriptorName UI="D008099" MajorTopicYN="N">Liver</DescriptorName>
        <QualifierName UI="Q000000981" MajorTopicYN="Y">diagnostic imaging</QualifierName>
      </MeshHeading>
    </MeshHeadingList>
    <KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">hepatology</Keyword></KeywordList>
  </MedlineCitation>
  <PubmedData>
    <History>
      <PubMedPubDate PubStatus="pubmed"><Year>2019</Year><Month>4</Month><Day>2</Day></PubMedPubDate>
    </History>
    <ArticleIdList>
      <ArticleId IdType="pubmed">31000001</ArticleId>
      <ArticleId IdType="doi">10.1371/journal.pone.0000001</ArticleId>
      <ArticleId IdType="pmc">PMC6400001</ArticleId>
    </ArticleIdList>
  </PubmedData>
</PubmedArticle>
"""


def _article(pmid: str, title: str, mesh: str = "") -> bytes:
    headings = f"<MeshHeadingList>{mesh}</MeshHeadingList>" if mesh else ""
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version='1'>{pmid}</PMID><Article>"
        f"<Journal><JournalIssue><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>"
        f"</JournalIssue>"
        f"</Journal><ArticleTitle>{title}</ArticleTitle><Abstract><AbstractText>Plain abstract of {pmid}."
        f"</AbstractText></Abstract></Article>{headings}</MedlineCitation></PubmedArticle>"
    ).encode()


def _file(*parts: bytes, deletions: tuple[str, ...] = ()) -> bytes:
    deleted = b""
    if deletions:
        deleted = b"<DeleteCitation>" + b"".join(
            b"<PMID Version='1'>%s</PMID>" % p.encode() for p in deletions
        )
        deleted += b"</DeleteCitation>"
    return HEADER + b"".join(parts) + deleted + b"</PubmedArticleSet>\n"


def _parse(data: bytes, name: str = "pubmed26n0001.xml.gz", max_bytes: int = 1 << 30) -> list:
    return list(parse_pubmed_bytes(data, name, max_bytes))


def test_a_structured_record_yields_every_field_on_its_pmid() -> None:
    (record,) = _parse(gzip.compress(_file(STRUCTURED)))
    assert isinstance(record, PubmedRecord)
    assert (record.pmid, record.pmid_version, record.status) == ("31000001", 1, "MEDLINE")
    assert (record.pmcid, record.doi) == ("PMC6400001", "10.1371/journal.pone.0000001")
    assert record.title == "Imaging of Mus musculus livers."
    assert record.abstract == "BACKGROUND: Livers matter.\nMETHODS: We imaged them with H2O."
    assert (record.journal_title, record.journal_iso, record.medline_ta) == (
        "PloS one",
        "PLoS One",
        "PLoS One",
    )
    assert [(m.descriptor, m.major_topic) for m in record.mesh] == [("Animals", False), ("Liver", False)]
    assert record.mesh[1].qualifiers == (("diagnostic imaging", "Q000000981", True),)
    assert record.publication_types == ["Journal Article", "Research Support, Non-U.S. Gov't"]
    assert record.chemicals == [("Water", "D014867", "059QF0KO0R")]
    assert record.grants == [("R01 GM000001", "GM", "NIGMS NIH HHS", "United States")]
    assert record.keywords == ["hepatology"]
    assert record.pub_year == 2019
    assert record.date_completed == dt.date(2019, 7, 15)
    assert record.date_revised == dt.date(2020, 2, 3)
    assert record.pubmed_date == dt.date(2019, 4, 2)


def test_a_single_mesh_heading_is_a_list_of_one_not_an_empty_list() -> None:
    # BIOMEDICA's Entrez step dropped single headings; here one heading stays one heading.
    heading = (
        b"<MeshHeading><DescriptorName UI='D006801' MajorTopicYN='Y'>Humans</DescriptorName></MeshHeading>"
    )
    (record,) = _parse(_file(_article("100", "One heading", heading.decode())))
    assert [(m.descriptor, m.descriptor_ui, m.major_topic) for m in record.mesh] == [
        ("Humans", "D006801", True)
    ]


def test_records_keep_their_own_values_in_file_order_and_medline_dates_give_a_year() -> None:
    records = _parse(_file(_article("300", "Third"), _article("100", "First"), _article("200", "Second")))
    assert [(r.pmid, r.title, r.abstract) for r in records] == [
        ("300", "Third", "Plain abstract of 300."),
        ("100", "First", "Plain abstract of 100."),
        ("200", "Second", "Plain abstract of 200."),
    ]
    assert [r.pub_year for r in records] == [1998, 1998, 1998]
    assert records[0].record_order < records[1].record_order < records[2].record_order


def test_a_later_file_updates_a_record_and_a_later_deletion_removes_one() -> None:
    baseline = _parse(
        _file(_article("1", "old title"), _article("2", "kept"), _article("3", "deleted later"))
    )
    update = _parse(_file(_article("1", "new title"), deletions=("3",)), name="pubmed26n1300.xml.gz")
    assert isinstance(update[-1], Deletion)
    # Whatever order the files are read in, the file order decides.
    for events in (baseline + update, update + baseline):
        newest = newest_records(events)
        assert {pmid: r.title for pmid, r in newest.items()} == {"1": "new title", "2": "kept"}


def test_a_record_republished_after_its_deletion_comes_back() -> None:
    first = _parse(_file(_article("5", "v1"), deletions=("5",)), name="pubmed26n1301.xml.gz")
    again = _parse(_file(_article("5", "v2")), name="pubmed26n1302.xml.gz")
    assert newest_records(first) == {}
    assert newest_records(first + again)["5"].title == "v2"


def test_file_order_follows_the_baseline_year_then_the_file_number() -> None:
    assert file_order("pubmed25n1500.xml.gz") < file_order("pubmed26n0001.xml.gz")
    assert file_order("s3://b/updatefiles/pubmed26n0002.xml.gz") > file_order("pubmed26n0001.xml.gz")
    with pytest.raises(ValueError, match="not a PubMed file name"):
        file_order("medline.xml.gz")


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "pubmed26n0001.xml", Reason.EMPTY_FILE),
        (_file(_article("1", "x")), "notes.xml", Reason.UNSUPPORTED_ARCHIVE),
        (
            b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>&x;"
            b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>",
            "pubmed26n0001.xml",
            Reason.XML_FORBIDDEN,
        ),
    ],
)
def test_unusable_files_are_quarantined_with_a_reason(data: bytes, name: str, reason: Reason) -> None:
    (item,) = _parse(data, name=name)
    assert isinstance(item, QuarantineItem)
    assert item.reason == reason
    assert item.member_path == name


def test_a_truncated_gzip_keeps_the_records_read_before_the_break() -> None:
    data = gzip.compress(_file(*[_article(str(i), f"t{i}") for i in range(1, 400)]))
    events = _parse(data[: len(data) * 2 // 3])
    assert isinstance(events[-1], QuarantineItem)
    assert events[-1].reason == Reason.CORRUPT_ARCHIVE
    records = [e for e in events if isinstance(e, PubmedRecord)]
    assert 0 < len(records) < 399
    assert [r.pmid for r in records] == [str(i) for i in range(1, len(records) + 1)]


def test_a_broken_record_in_the_middle_is_quarantined_and_the_rest_kept() -> None:
    events = _parse(
        _file(_article("1", "a"), b"<PubmedArticle><MedlineCitation/></PubmedArticle>", _article("2", "b"))
    )
    assert [type(e).__name__ for e in events] == ["PubmedRecord", "QuarantineItem", "PubmedRecord"]
    assert events[1].reason == Reason.XML_NOT_ARTICLE


def test_a_gzip_bomb_stops_at_the_inflated_size_bound() -> None:
    bomb = gzip.compress(HEADER + b"<PubmedArticle>" + b" " * 5_000_000)
    (item,) = _parse(bomb, max_bytes=1_000_000)
    assert item.reason == Reason.XML_TOO_LARGE


def test_plain_and_gzipped_streams_read_the_same() -> None:
    data = _file(STRUCTURED, _article("2", "b"))
    plain = [r.pmid for r in _parse(data)]
    zipped = [r.pmid for r in _parse(gzip.compress(data))]
    assert plain == zipped == ["31000001", "2"]
