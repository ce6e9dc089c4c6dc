"""PubMed/MEDLINE files shaped like NLM's (`pubmedYYnNNNN.xml.gz`), for tests, the demo and benchmarks.

Each record carries the fields the enrich job reads: MeSH headings with qualifiers and major-topic flags,
publication types, chemicals, grants, a structured or plain abstract, journal ISO abbreviation, dates.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

HEADER = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    ' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)
DESCRIPTORS = (
    ("D006801", "Humans"),
    ("D000818", "Animals"),
    ("D008099", "Liver"),
    ("D009369", "Neoplasms"),
    ("D008279", "Magnetic Resonance Imaging"),
    ("D008853", "Microscopy"),
    ("D014057", "Tomography, X-Ray Computed"),
    ("D051381", "Rats"),
)
QUALIFIERS = (("Q000000981", "diagnostic imaging"), ("Q000378", "metabolism"), ("Q000473", "pathology"))
PUBLICATION_TYPES = ("Journal Article", "Review", "Research Support, N.I.H., Extramural", "Case Reports")


@dataclass
class PubmedSample:
    pmid: str
    title: str
    abstract_sections: Sequence[tuple[str | None, str]] = ((None, "An abstract."),)
    mesh: Sequence[tuple[str, str, bool, Sequence[tuple[str, str, bool]]]] = ()  # ui, name, major, quals
    publication_types: Sequence[str] = ("Journal Article",)
    chemicals: Sequence[tuple[str, str, str]] = ()  # ui, name, registry number
    grants: Sequence[tuple[str, str, str]] = ()  # id, agency, country
    journal_iso: str = "PLoS One"
    year: int = 2020
    pmcid: str | None = None
    doi: str | None = None
    extra_ids: dict[str, str] = field(default_factory=dict)


def article_xml(sample: PubmedSample) -> str:
    abstract = "".join(
        f'<AbstractText Label="{escape(label)}">{escape(text)}</AbstractText>'
        if label
        else f"<AbstractText>{escape(text)}</AbstractText>"
        for label, text in sample.abstract_sections
    )
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="{"Y" if major else "N"}">{escape(name)}'
        "</DescriptorName>"
        + "".join(
            f'<QualifierName UI="{q_ui}" MajorTopicYN="{"Y" if q_major else "N"}">'
            f"{escape(q_name)}</QualifierName>"
            for q_ui, q_name, q_major in qualifiers
        )
        + "</MeshHeading>"
        for ui, name, major, qualifiers in sample.mesh
    )
    types = "".join(f"<PublicationType>{escape(t)}</PublicationType>" for t in sample.publication_types)
    chemicals = "".join(
        f"<Chemical><RegistryNumber>{reg}</RegistryNumber>"
        f'<NameOfSubstance UI="{ui}">{escape(name)}</NameOfSubstance></Chemical>'
        for ui, name, reg in sample.chemicals
    )
    grants = "".join(
        f"<Grant><GrantID>{escape(gid)}</GrantID><Agency>{escape(agency)}</Agency>"
        f"<Country>{escape(country)}</Country></Grant>"
        for gid, agency, country in sample.grants
    )
    ids = {"pubmed": sample.pmid, **({"pmc": sample.pmcid} if sample.pmcid else {})}
    ids.update({"doi": sample.doi} if sample.doi else {})
    ids.update(sample.extra_ids)
    id_list = "".join(f'<ArticleId IdType="{k}">{escape(v)}</ArticleId>' for k, v in ids.items())
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{sample.pmid}</PMID>'
        f"<DateCompleted><Year>{sample.year}</Year><Month>06</Month><Day>01</Day></DateCompleted>"
        '<Article PubModel="Print">'
        f"<Journal><JournalIssue><PubDate><Year>{sample.year}</Year></PubDate></JournalIssue>"
        f"<Title>{escape(sample.journal_iso)} journal</Title>"
        f"<ISOAbbreviation>{escape(sample.journal_iso)}</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(sample.title)}</ArticleTitle><Abstract>{abstract}</Abstract>"
        + (f'<GrantList CompleteYN="Y">{grants}</GrantList>' if grants else "")
        + f"<PublicationTypeList>{types}</PublicationTypeList></Article>"
        f"<MedlineJournalInfo><MedlineTA>{escape(sample.journal_iso)}</MedlineTA></MedlineJournalInfo>"
        + (f"<ChemicalList>{chemicals}</ChemicalList>" if chemicals else "")
        + (f"<MeshHeadingList>{mesh}</MeshHeadingList>" if mesh else "")
        + "</MedlineCitation><PubmedData><History>"
        f'<PubMedPubDate PubStatus="pubmed"><Year>{sample.year}</Year><Month>5</Month><Day>2</Day>'
        "</PubMedPubDate>"
        f"</History><ArticleIdList>{id_list}</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


def pubmed_file(
    samples: Iterable[PubmedSample], deleted_pmids: Sequence[str] = (), compress: bool = True
) -> bytes:
    body = HEADER + "".join(article_xml(s) for s in samples)
    if deleted_pmids:
        body += "<DeleteCitation>" + "".join(f'<PMID Version="1">{p}</PMID>' for p in deleted_pmids)
        body += "</DeleteCitation>\n"
    data = (body + "</PubmedArticleSet>\n").encode()
    return gzip.compress(data, compresslevel=6) if compress else data


def random_sample(rng: random.Random, pmid: int) -> PubmedSample:
    """A record with a realistic spread of fields (sizes near a real MEDLINE record's ~3 KB)."""
    structured = rng.random() < 0.4
    sentences = [f"Sentence {i} about finding {rng.randrange(10**6)} in the cohort." for i in range(8)]
    sections: list[tuple[str | None, str]] = (
        [
            (label, " ".join(sentences[i * 2 : i * 2 + 2]))
            for i, label in enumerate(("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"))
        ]
        if structured
        else [(None, " ".join(sentences))]
    )
    mesh = [
        (
            ui,
            name,
            rng.random() < 0.3,
            [(q_ui, q_name, rng.random() < 0.2) for q_ui, q_name in rng.sample(QUALIFIERS, rng.randrange(3))],
        )
        for ui, name in rng.sample(DESCRIPTORS, rng.randrange(1, 7))
    ]
    return PubmedSample(
        pmid=str(pmid),
        title=f"Study {pmid} of imaging markers",
        abstract_sections=sections,
        mesh=mesh,
        publication_types=rng.sample(PUBLICATION_TYPES, rng.randrange(1, 3)),
        chemicals=[("D014867", "Water", "059QF0KO0R")] if rng.random() < 0.3 else [],
        grants=[(f"R01 GM{rng.randrange(10**6):06d}", "NIGMS NIH HHS", "United States")]
        if rng.random() < 0.4
        else [],
        year=rng.randrange(1990, 2026),
        pmcid=f"PMC{pmid + 1_000_000}" if rng.random() < 0.5 else None,
        doi=f"10.1000/test.{pmid}",
    )
