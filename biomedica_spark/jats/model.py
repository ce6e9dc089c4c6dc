"""What the JATS parser returns: plain dataclasses, no Spark, no lxml objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from biomedica_spark.quarantine import QuarantineItem


@dataclass(frozen=True)
class InlineRef:
    """A paragraph citing a figure, with where it sits and how it cites it ("Fig. 2B")."""

    paragraph: str
    section_title: str | None
    xref_text: str


@dataclass
class Figure:
    """One figure graphic. A <fig> with several <graphic>s yields several Figures (graphic_index 0, 1...)."""

    ordinal: int  # document order of the graphic within its article, 0-based: part of the key
    figure_id: str | None  # <fig id>
    label: str | None  # "Figure 1"
    caption: str  # title + paragraphs, label excluded, whitespace kept between inline elements; "" if none
    caption_title: str | None
    graphic_href: str  # xlink:href exactly as written
    graphic_index: int
    placement: str  # body | floats-group | back | app | boxed-text | sub-article
    fig_group_id: str | None  # id of the enclosing <fig-group>, if any
    kind: str  # "figure" | "table" (a table-wrap shipped as an image)
    fig_type: str | None
    sub_article_id: str | None
    permissions: str | None  # the figure's own <permissions> (third-party image), as text
    inline_refs: list[InlineRef] = field(default_factory=list)


@dataclass
class Article:
    article_key: str  # pmcid, else PMC id from the file name, else "doi:<doi>", else "xml:<sha256>"
    key_source: str  # "pmcid" | "file_name" | "doi" | "xml_sha256"
    pmcid: str | None  # normalised "PMC<digits>"
    pmid: str | None
    doi: str | None
    title: str | None
    abstract: str | None
    journal: str | None
    journal_nlm_ta: str | None
    publisher: str | None
    pub_date: str | None  # ISO "YYYY-MM-DD" (missing month/day -> 01)
    pub_year: int | None
    article_type: str | None  # lower-cased @article-type
    subjects: list[str]
    keywords: list[str]
    authors: list[str]  # "Surname GivenNames"
    license_code: str | None  # normalised: "CC BY", "CC BY-NC-ND", ..., "NO-CC CODE"
    license_url: str | None
    license_subset: str  # commercial | noncommercial | other
    language: str | None
    body_text: str
    reference_pmids: list[str]
    reference_dois: list[str]
    figures: list[Figure]
    xml_sha256: str  # of the article's own file bytes


@dataclass
class ParsedXml:
    """All articles found in one XML file, plus anything to quarantine about it."""

    articles: list[Article]
    quarantine: list[QuarantineItem]
