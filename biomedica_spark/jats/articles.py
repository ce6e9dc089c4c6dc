"""JATS / NLM XML bytes -> Article rows with their figures: the parser's one entry point.

Elements are matched by local name, so NLM 2.x (no namespace), JATS and the new PMC output (default
JATS namespace) read alike. A file may hold several articles (efetch <pmc-articleset>, Europe PMC
<articles>, OAI-PMH envelopes): all of them are returned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace

from lxml import etree

from biomedica_spark.jats.dates import publication_date
from biomedica_spark.jats.figures import extract_figures
from biomedica_spark.jats.ids import (
    article_key,
    normalise_doi,
    normalise_pmcid,
    normalise_pmid,
    pmcid_from_file_name,
)
from biomedica_spark.jats.inline_refs import attach_inline_refs
from biomedica_spark.jats.licenses import NO_CC_CODE, license_subset, normalise_license
from biomedica_spark.jats.model import Article, ParsedXml
from biomedica_spark.jats.safe_xml import parse_secure
from biomedica_spark.jats.text import (
    FLOAT_ELEMENTS,
    XLINK_HREF,
    XML_LANG,
    child,
    children,
    element_text,
    local_name,
)
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

DEFAULT_MAX_XML_BYTES = 200_000_000
_WRAPPERS = frozenset({"pmc-articleset", "articles", "OAI-PMH"})
_MAIN_ABSTRACT_TYPES = frozenset({"", "abstract", "primary", "structured"})
# Never the article's abstract, even when it has no other: images, one-liners, table-of-contents blurbs.
_NOT_ABSTRACT_TYPES = frozenset({"graphical", "teaser", "toc"})
_TITLE_NOTES = frozenset({"xref", "fn"})  # footnote markers in titles
_NOT_ABSTRACT_TEXT = frozenset({"title", "object-id"})  # the heading "Abstract", eLife's abstract DOI
_URL = re.compile(r"https?://[^\s<>\"]+")


def parse_xml(data: bytes, file_name: str, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> ParsedXml:
    """Every article in one XML file, plus quarantine items for whatever could not be used.

    Never raises on bad input: empty, oversized, malformed, entity-declaring or non-article files come
    back as quarantine items (a malformed file may still yield the articles a recovering parse salvages).
    """
    parsed = parse_secure(data, file_name, max_bytes)
    file_pmcid = pmcid_from_file_name(file_name)
    quarantine = [replace(item, pmcid=file_pmcid) for item in parsed.quarantine]
    if parsed.root is None:
        return ParsedXml(articles=[], quarantine=quarantine)
    elements = _article_elements(parsed.root)
    if parsed.recovered:  # salvage only what still looks like an article
        elements = [el for el in elements if child(child(el, "front"), "article-meta") is not None]
    elif not elements:
        quarantine.append(
            QuarantineItem(
                stage=Stage.XML,
                reason=Reason.XML_NOT_ARTICLE,
                detail=f"root <{local_name(parsed.root)}> holds no <article>",
                member_path=file_name,
                pmcid=file_pmcid,
            )
        )
    xml_sha256 = hashlib.sha256(data).hexdigest()
    # A file name names the article only when the file holds one.
    key_pmcid = file_pmcid if len(elements) == 1 else None
    articles = [_article(el, file_name, key_pmcid, xml_sha256, quarantine) for el in elements]
    return ParsedXml(articles=articles, quarantine=quarantine)


def _article_elements(root: etree._Element) -> list[etree._Element]:
    name = local_name(root)
    if name == "article":
        return [root]
    if name not in _WRAPPERS:
        return []
    return [
        el
        for el in root.iter("{*}article")
        if not any(local_name(ancestor) == "article" for ancestor in el.iterancestors())
    ]


def _article(
    el: etree._Element,
    file_name: str,
    file_pmcid: str | None,
    xml_sha256: str,
    quarantine: list[QuarantineItem],
) -> Article:
    front = child(el, "front")
    meta = child(front, "article-meta")
    journal_meta = child(front, "journal-meta")
    xml_pmcid, pmid, doi = _article_ids(meta)
    key, key_source = article_key(xml_pmcid, file_pmcid, doi, el)
    pmcid = xml_pmcid or file_pmcid
    language = (el.get(XML_LANG) or "").strip().lower() or None
    # NLM 2.x has no <permissions>: its licence and copyright sit straight in article-meta.
    permissions = child(meta, "permissions")
    license_code, license_url = _license(permissions if permissions is not None else meta)
    pub_date, pub_year = publication_date(meta)
    reference_pmids, reference_dois = _references(el)
    figures, citables, figure_quarantine = extract_figures(el, file_name, pmcid)
    attach_inline_refs(el, citables)
    quarantine.extend(figure_quarantine)
    return Article(
        article_key=key,
        key_source=key_source,
        pmcid=pmcid,
        pmid=pmid,
        doi=doi,
        title=element_text(child(child(meta, "title-group"), "article-title"), skip=_TITLE_NOTES) or None,
        abstract=_abstract(meta, language),
        journal=_journal_title(journal_meta),
        journal_nlm_ta=_journal_abbreviation(journal_meta),
        publisher=element_text(child(child(journal_meta, "publisher"), "publisher-name")) or None,
        pub_date=pub_date,
        pub_year=pub_year,
        article_type=(el.get("article-type") or "").strip().lower() or None,
        subjects=_subjects(child(meta, "article-categories")),
        keywords=_keywords(meta, language),
        authors=_authors(meta),
        license_code=license_code,
        license_url=license_url,
        license_subset=license_subset(license_code),
        language=language,
        body_text=element_text(child(el, "body"), skip=FLOAT_ELEMENTS, block_separator="\n\n"),
        reference_pmids=reference_pmids,
        reference_dois=reference_dois,
        figures=figures,
        xml_sha256=xml_sha256,
    )


def _article_ids(meta: etree._Element | None) -> tuple[str | None, str | None, str | None]:
    """(pmcid, pmid, doi) from article-meta only. 'pmcid-ver', 'pmcaid', 'pmcaiid' are PMC-internal."""
    pmcid = pmid = doi = None
    for article_id in children(meta, "article-id"):
        kind = (article_id.get("pub-id-type") or "").strip().lower()
        value = element_text(article_id)
        if kind in ("pmc", "pmcid"):
            pmcid = pmcid or normalise_pmcid(value)
        elif kind == "pmid":
            pmid = pmid or normalise_pmid(value)
        elif kind == "doi":
            doi = doi or normalise_doi(value)
    return pmcid, pmid, doi


def _journal_title(journal_meta: etree._Element | None) -> str | None:
    """JATS nests it in journal-title-group; NLM 2.x puts it straight in journal-meta."""
    title = child(child(journal_meta, "journal-title-group"), "journal-title")
    return element_text(title if title is not None else child(journal_meta, "journal-title")) or None


def _journal_abbreviation(journal_meta: etree._Element | None) -> str | None:
    by_type: dict[str, str] = {}
    for journal_id in children(journal_meta, "journal-id"):
        by_type.setdefault((journal_id.get("journal-id-type") or "").lower(), element_text(journal_id))
    return by_type.get("nlm-ta") or by_type.get("iso-abbrev") or None


def _abstract(meta: etree._Element | None, language: str | None) -> str | None:
    """The main abstract(s), paragraphs apart by a blank line; a structured abstract's sections read
    "Background: ..."."""
    abstracts = [
        (abstract, (abstract.get("abstract-type") or "").strip().lower())
        for abstract in children(meta, "abstract")
    ]
    chosen = [abstract for abstract, kind in abstracts if kind in _MAIN_ABSTRACT_TYPES] or [
        abstract for abstract, kind in abstracts if kind not in _NOT_ABSTRACT_TYPES
    ]
    in_language = [a for a in chosen if (a.get(XML_LANG) or language or "").lower() == (language or "")]
    texts = (_abstract_text(abstract) for abstract in in_language or chosen)
    return "\n\n".join(text for text in texts if text) or None


def _abstract_text(abstract: etree._Element) -> str:
    if child(abstract, "sec") is None:
        return element_text(abstract, skip=_NOT_ABSTRACT_TEXT, block_separator="\n\n")
    blocks = []
    for part in abstract:
        name = local_name(part)
        if name == "sec":
            blocks.append(_headed_section_text(part))
        elif name and name not in _NOT_ABSTRACT_TEXT:
            blocks.append(element_text(part))
    return "\n\n".join(block for block in blocks if block)


def _headed_section_text(sec: etree._Element) -> str:
    heading = element_text(child(sec, "title"))
    body = element_text(sec, skip=("title",))
    if not heading:
        return body
    return f"{heading} {body}" if heading[-1] in ":.?!" else f"{heading}: {body}"


def _subjects(categories: etree._Element | None) -> list[str]:
    """Heading subjects ("Research Article", "Neuroscience"...), else every subject."""
    if categories is None:
        return []
    groups = list(categories.iter("{*}subj-group"))
    headings = [g for g in groups if (g.get("subj-group-type") or "").strip().lower() == "heading"]
    return _unique(element_text(subject) for g in headings or groups for subject in children(g, "subject"))


def _keywords(meta: etree._Element | None, language: str | None) -> list[str]:
    """Keywords in the article's language: SciELO repeats them in each translation."""
    return _unique(
        element_text(kwd)
        for group in children(meta, "kwd-group")
        if not (language and group.get(XML_LANG) and group.get(XML_LANG, "").lower() != language)
        for kwd in children(group, "kwd")
    )


def _authors(meta: etree._Element | None) -> list[str]:
    names = (
        _contributor_name(contrib)
        for group in children(meta, "contrib-group")
        for contrib in children(group, "contrib")
        if (contrib.get("contrib-type") or "").strip().lower() == "author"
    )
    return [name for name in names if name]


def _contributor_name(contrib: etree._Element) -> str | None:
    """'Surname Given-names', the string-name as written, or the collaboration's name."""
    alternatives = child(contrib, "name-alternatives")
    for name in (child(contrib, "name"), child(alternatives, "name"), child(contrib, "string-name")):
        if name is not None:
            parts = [element_text(child(name, "surname")), element_text(child(name, "given-names"))]
            return " ".join(part for part in parts if part) or element_text(name) or None
    collab = child(contrib, "collab")
    return element_text(collab, skip=("contrib-group", "xref")) or None


def _license(permissions: etree._Element | None) -> tuple[str | None, str | None]:
    """(code, url). The first source naming a CC licence decides: ali:license_ref, license/@xlink:href,
    @license-type, links and text in license-p, then the copyright statement (old PLOS files say
    "Creative Commons Attribution License" only there). None when nothing states a licence."""
    if permissions is None:
        return None, None
    licenses = list(children(permissions, "license"))
    license_refs = [element_text(ref) for ref in permissions.iter("{*}license_ref")]
    hrefs = [href for lic in licenses if (href := lic.get(XLINK_HREF) or lic.get("href"))]
    types = [kind for lic in licenses if (kind := lic.get("license-type"))]
    links = [
        href
        for lic in licenses
        for link in lic.iter("{*}ext-link", "{*}uri")
        if (href := link.get(XLINK_HREF))
    ]
    texts = [element_text(lic) for lic in licenses]
    statements = [element_text(statement) for statement in children(permissions, "copyright-statement")]
    urls = [*license_refs, *hrefs, *links, *(url for text in texts for url in _URL.findall(text))]
    url = next((u.rstrip(".,;)") for u in urls if u.startswith(("http://", "https://"))), None)
    for source in (*license_refs, *hrefs, *types, *links, *texts, *statements):
        code = normalise_license(source)
        if code != NO_CC_CODE:
            return code, url
    return (NO_CC_CODE if licenses or license_refs else None), url


def _references(article: etree._Element) -> tuple[list[str], list[str]]:
    """PMIDs and DOIs cited in the reference lists (pub-id, or a DOI ext-link)."""
    pmids: list[str] = []
    dois: dict[str, str] = {}  # lower-cased -> as written: DOIs compare case-insensitively
    for ref_list in article.iter("{*}ref-list"):
        if any(local_name(ancestor) == "ref-list" for ancestor in ref_list.iterancestors()):
            continue  # read with its enclosing list
        for el in ref_list.iter("{*}pub-id", "{*}ext-link"):
            kind = (el.get("pub-id-type") or el.get("ext-link-type") or "").strip().lower()
            if kind == "pmid" and local_name(el) == "pub-id":
                pmid = normalise_pmid(el.text)
                if pmid:
                    pmids.append(pmid)
                continue
            href = el.get(XLINK_HREF) or ""
            if kind == "doi" or "doi.org/10." in href:
                doi = normalise_doi(href) or normalise_doi(element_text(el))
                if doi:
                    dois.setdefault(doi.lower(), doi)
    return _unique(pmids), list(dois.values())


def _unique(values: Iterable[str]) -> list[str]:
    """Non-empty values, first occurrence kept, order kept."""
    return list(dict.fromkeys(value for value in values if value))
