"""One synthetic JATS article: metadata, body, figures in every placement PMC uses, and its truth.

`build_article` is a pure function of its `ArticleRequest`: a bare bulk XML copy or a second cloud
version re-builds the source article and gets the same XML, figures and image specs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from biomedica_spark.samples import text
from biomedica_spark.samples.images import STYLES, ImageSpec
from biomedica_spark.samples.truth import ArticleTruth, FigureTruth, InlineRefTruth
from biomedica_spark.samples.xmltree import Element, Node, RenderStyle, block, el, plain_text, render

JATS_NAMESPACE = "http://jats.nlm.nih.gov"

LICENCES: dict[str, tuple[str | None, str]] = {
    "CC0": ("https://creativecommons.org/publicdomain/zero/1.0/", "commercial"),
    "CC BY": ("https://creativecommons.org/licenses/by/4.0/", "commercial"),
    "CC BY-SA": ("https://creativecommons.org/licenses/by-sa/4.0/", "commercial"),
    "CC BY-ND": ("https://creativecommons.org/licenses/by-nd/4.0/", "commercial"),
    "CC BY-NC": ("https://creativecommons.org/licenses/by-nc/4.0/", "noncommercial"),
    "CC BY-NC-SA": ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "noncommercial"),
    "CC BY-NC-ND": ("https://creativecommons.org/licenses/by-nc-nd/4.0/", "noncommercial"),
    "NO-CC CODE": (None, "other"),
}
# Roughly the 2026 PMC-OA mix (CC BY 5.24M, CC BY-NC-ND 1.08M, CC BY-NC 1.0M, ...).
LICENCE_WEIGHTS = {
    "CC BY": 62,
    "CC BY-NC-ND": 13,
    "CC BY-NC": 12,
    "CC BY-NC-SA": 4,
    "NO-CC CODE": 5,
    "CC0": 2,
    "CC BY-ND": 1,
    "CC BY-SA": 1,
}
NO_CC_TEXT = (
    "This article is made available via the PMC Open Access Subset for unrestricted research "
    "re-use and secondary analysis in any form or by any means with acknowledgement of the "
    "original source."
)


def licence_variant(code: str) -> str:
    return "license_" + code.lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class Journal:
    title: str
    nlm_ta: str
    publisher: str
    doi_prefix: str
    code: str  # short journal code used in DOIs and file names


# Publisher conventions that change the XML: href scheme, ids, labels, date form, file names.
JOURNALS: dict[str, tuple[Journal, ...]] = {
    "elsevier": (
        Journal("Lancet Infectious Diseases", "Lancet Infect Dis", "Elsevier Ltd.", "10.1016", "S1473"),
        Journal("Cell Reports", "Cell Rep", "Elsevier", "10.1016", "j.celrep"),
    ),
    "bmc": (
        Journal("BMC Microbiology", "BMC Microbiol", "BioMed Central", "10.1186", "1471-2180"),
        Journal("BMC Neuroscience", "BMC Neurosci", "BioMed Central", "10.1186", "1471-2202"),
    ),
    "plos": (
        Journal("PLoS ONE", "PLoS One", "Public Library of Science", "10.1371", "pone"),
        Journal("PLoS Biology", "PLoS Biol", "Public Library of Science", "10.1371", "pbio"),
    ),
    "elife": (Journal("eLife", "eLife", "eLife Sciences Publications, Ltd", "10.7554", "eLife"),),
    "springer": (
        Journal("Acta Neuropathologica Communications", "Acta Neuropathol Commun", "BMC", "10.1186", "40478"),
        Journal("Scientific Reports", "Sci Rep", "Nature Publishing Group UK", "10.1038", "41598"),
    ),
    "mdpi": (
        Journal("Materials", "Materials (Basel)", "MDPI", "10.3390", "materials"),
        Journal("Cells", "Cells", "MDPI", "10.3390", "cells"),
    ),
    "scielo": (
        Journal(
            "Transinformação",
            "Transinformação",
            "Pontifícia Universidade Católica de Campinas",
            "10.1590",
            "2318-0889-tinf",
        ),
    ),
    "biorxiv": (Journal("medRxiv", "medRxiv", "Cold Spring Harbor Laboratory", "10.1101", "medrxiv"),),
    "generic": (
        Journal("Journal of Applied Biomedicine", "J Appl Biomed", "Nakladatelství", "10.32725", "jab"),
    ),
}
# DOCTYPEs as publishers write them: a parser must read past them without fetching anything.
_LEGACY_DOCTYPE = (
    '<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Archiving and Interchange DTD v2.3 '
    '20070202//EN" "archivearticle.dtd">'
)
_JATS12_DOCTYPE = (
    '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange '
    'DTD with MathML3 v1.2 20190208//EN" "JATS-archivearticle1-mathml3.dtd">'
)
_PUBLISHING_DOCTYPE = (
    '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.1d3 '
    '20150301//EN" "http://jats.nlm.nih.gov/publishing/1.1d3/JATS-journalpublishing1.dtd">'
)


@dataclass(frozen=True)
class StyleRules:
    label: str  # label pattern, {n} = number
    fig_id: str  # id pattern
    table_id: str
    dates: str  # nlm | jats
    doctype: str | None
    render: RenderStyle
    years: tuple[int, int]


STYLE_RULES: dict[str, StyleRules] = {
    "elsevier": StyleRules(
        "Figure {n}",
        "fig{n}",
        "tbl{n}",
        "nlm",
        _JATS12_DOCTYPE,
        RenderStyle(pretty=False, ascii_refs=True, local_xlink=False),
        (2003, 2021),
    ),
    "bmc": StyleRules(
        "Figure {n}",
        "F{n}",
        "T{n}",
        "nlm",
        _LEGACY_DOCTYPE,
        RenderStyle(pretty=False, ascii_refs=True, local_xlink=False),
        (2004, 2015),
    ),
    "plos": StyleRules(
        "Fig {n}",
        "{doi_tail}.g{n:03d}",
        "{doi_tail}.t{n:03d}",
        "nlm",
        _PUBLISHING_DOCTYPE,
        RenderStyle(pretty=True, ascii_refs=False, local_xlink=False),
        (2008, 2020),
    ),
    "elife": StyleRules(
        "Figure {n}.",
        "fig{n}",
        "table{n}",
        "jats",
        _PUBLISHING_DOCTYPE,
        RenderStyle(pretty=True, ascii_refs=False, local_xlink=False),
        (2012, 2024),
    ),
    "springer": StyleRules(
        "Fig. {n}",
        "Fig{n}",
        "Tab{n}",
        "nlm",
        None,
        RenderStyle(pretty=False, ascii_refs=False, local_xlink=True),
        (2023, 2025),
    ),
    "mdpi": StyleRules(
        "Figure {n}.",
        "{doi_tail}-f{n}",
        "{doi_tail}-t{n}",
        "jats",
        None,
        RenderStyle(pretty=False, ascii_refs=False, local_xlink=True),
        (2024, 2026),
    ),
    "scielo": StyleRules(
        "Figura {n}",
        "f{n}",
        "t{n}",
        "jats",
        _PUBLISHING_DOCTYPE,
        RenderStyle(pretty=True, ascii_refs=False, local_xlink=False),
        (2018, 2022),
    ),
    "biorxiv": StyleRules(
        "Figure {n}.",
        "F{n}",
        "T{n}",
        "jats",
        None,
        RenderStyle(pretty=True, ascii_refs=False, local_xlink=False),
        (2020, 2025),
    ),
    "generic": StyleRules(
        "FIGURE {n}",
        "fig-{n}",
        "tab-{n}",
        "nlm",
        _LEGACY_DOCTYPE,
        RenderStyle(pretty=False, ascii_refs=False, local_xlink=False),
        (2010, 2020),
    ),
}
# Styles whose hrefs carry no extension and whose packages hold a .gif thumbnail beside each image.
THUMBNAIL_STYLES = frozenset({"elsevier", "bmc"})
# Encodings the image zoo features ask for (only styles with extensionless hrefs can carry them).
ZOO_ENCODINGS = {
    "image_png": "png",
    "image_tiff": "tiff",
    "image_cmyk_jpeg": "cmyk_jpeg",
    "image_png16": "png16",
    "image_rgba_png": "rgba_png",
    "image_exif_rotated": "exif_jpeg",
    "image_palette_png": "palette_png",
    "image_greyscale": "grey_jpeg",
}
ENCODING_VARIANTS = {
    "jpeg": "image_jpeg",
    "png": "image_png",
    "tiff": "image_tiff",
    "cmyk_jpeg": "image_cmyk_jpeg",
    "png16": "image_png16",
    "rgba_png": "image_rgba_png",
    "exif_jpeg": "image_exif_rotated",
    "palette_png": "image_palette_png",
    "grey_jpeg": "image_greyscale",
}
FIG_TYPES = ("figure", "Figure", "FIGURE", "image")


@dataclass(frozen=True)
class ArticleRequest:
    seed: int
    archive_index: int
    slot: int  # article position inside its archive
    style: str
    features: frozenset[str]
    profile: str  # small | realistic
    pmc_number: int
    licence: str | None = None  # forced licence code; None draws one
    with_pmcid: bool = True
    with_doi: bool = True
    version: int | None = None  # PMC Cloud article version (adds pmcid-ver ids)
    replacements: tuple[tuple[ImageSpec, str], ...] = ()  # planted duplicates: (spec, transform label)


@dataclass
class PlannedImage:
    name: str  # member name relative to the article's folder
    spec: ImageSpec
    role: str  # figure | table
    thumbnail: str | None  # name of the .gif thumbnail of the same stem, if the package has one
    copy_label: str | None  # exact_copy | near-duplicate transform | alternative_rendition
    corrupt: bool = False  # written truncated (a broken input)


@dataclass
class PlannedGlyph:
    name: str
    key: tuple[int, ...]
    role: str  # inline | formula


@dataclass
class BuiltArticle:
    root: Element
    render_style: RenderStyle
    doctype: str | None
    truth: ArticleTruth  # key fields and member paths are completed by the packager
    images: dict[str, PlannedImage]
    glyphs: list[PlannedGlyph]
    supplements: list[str]
    stem: str  # file-name stem publishers use for this article's XML and PDF
    pmc_number: int  # the number it was generated with, also when its XML carries no PMCID

    def xml_body(self) -> str:
        return render(self.root, self.render_style)

    def xml_bytes(self) -> bytes:
        prolog = '<?xml version="1.0" encoding="UTF-8"?>\n'
        if self.doctype:
            prolog += self.doctype + "\n"
        return (prolog + self.xml_body() + "\n").encode("utf-8")


@dataclass
class _FigMeta:
    figure_id: str | None
    label: str | None
    caption: str
    caption_title: str | None
    placement: str
    kind: str
    fig_type: str | None
    fig_group_id: str | None
    in_fig_group: bool
    sub_article_id: str | None
    has_own_permissions: bool


@dataclass
class _GraphicMeta:
    href: str
    member: str | None  # None: the href points at nothing in the package (a broken input)


@dataclass
class _Citation:
    rids: tuple[str, ...]
    xref_text: str
    paragraph_contains: str
    section_title: str


@dataclass
class _Builder:
    request: ArticleRequest
    rng: random.Random
    journal: Journal
    rules: StyleRules
    doi_tail: str
    variants: set[str] = field(default_factory=set)
    images: dict[str, PlannedImage] = field(default_factory=dict)
    glyphs: list[PlannedGlyph] = field(default_factory=list)
    citations: list[_Citation] = field(default_factory=list)
    paragraph_count: int = 0
    image_count: int = 0
    licence_url: str | None = None  # the licence URL as the XML writes it

    @property
    def has(self) -> frozenset[str]:
        return self.request.features


def build_article(request: ArticleRequest) -> BuiltArticle:
    rng = random.Random(f"article/{request.seed}/{request.archive_index}/{request.slot}")
    journal = rng.choice(JOURNALS[request.style])
    rules = STYLE_RULES[request.style]
    builder = _Builder(request, rng, journal, rules, doi_tail=_doi_tail(request, journal))
    return _assemble(builder)


def _doi_tail(request: ArticleRequest, journal: Journal) -> str:
    """The publisher-specific part of the DOI; unique per article (7919 is coprime to 9,000,000)."""
    number = 1_000_000 + (request.pmc_number * 7919) % 9_000_000
    style = request.style
    if style == "plos":
        return f"{journal.code}.{number:07d}"
    if style == "elife":
        return str(number)
    if style == "mdpi":
        return f"{journal.code}{number}"
    if style == "biorxiv":
        return f"{number:08d}"
    return f"{journal.code}-{number // 100_000}-{number % 100_000}"


# --- assembly -----------------------------------------------------------------------------------------


def _assemble(b: _Builder) -> BuiltArticle:
    request, rng = b.request, b.rng
    year = rng.randint(*b.rules.years)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    licence = request.licence or _draw_licence(rng)
    article_type = rng.choices(
        ["research-article", "review-article", "case-report", "brief-report"], [80, 10, 6, 4]
    )[0]
    title_nodes = text.title_nodes(rng)
    doi = f"{b.journal.doi_prefix}/{_doi_string(b)}" if request.with_doi else None
    pmid = str(20_000_000 + request.pmc_number % 19_000_000) if rng.random() < 0.8 else None

    drafts = _figure_drafts(b)
    front = _front(b, title_nodes, doi, pmid, (year, month, day), licence)
    body = _body(b, drafts)
    back, reference_pmids, reference_dois = _back(b, drafts)
    root_attrs = {
        "xmlns:xlink": "http://www.w3.org/1999/xlink",
        "xmlns:mml": "http://www.w3.org/1998/Math/MathML",
        "xmlns:ali": "http://www.niso.org/schemas/ali/1.0/",
        "article-type": article_type,
    }
    if b.rules.render.local_xlink:
        del root_attrs["xmlns:xlink"]
        root_attrs["dtd-version"] = "1.4"
        root_attrs["xml:lang"] = "en"
    if "jats_default_namespace" in b.has:
        root_attrs = {"xmlns": JATS_NAMESPACE, **root_attrs}
        b.variants.add("jats_default_namespace")
    root = block("article", front, body, back)
    root.attrs = root_attrs
    floats = [d for d in drafts if d.placement == "floats-group"]
    if floats:
        root.add(block("floats-group", *[d.element for d in floats]))
        b.variants.add("floats_group")
    for sub_article in _sub_articles(b, drafts):
        root.add(sub_article)

    figures = _figure_truths(b, root)
    truth = ArticleTruth(
        article_key="",
        key_source="",
        pmcid=f"PMC{request.pmc_number}" if request.with_pmcid else None,
        pmid=pmid,
        doi=doi,
        version=request.version,
        title=plain_text(el("t", *title_nodes)),
        journal=b.journal.title,
        publisher=b.journal.publisher,
        pub_year=year,
        pub_date=f"{year:04d}-{month:02d}-{day:02d}",
        license_code=licence,
        license_url=b.licence_url,
        license_subset=LICENCES[licence][1],
        article_type=article_type,
        is_retracted=False,
        is_manuscript=False,
        member_path="",
        reference_pmids=reference_pmids,
        reference_dois=reference_dois,
        variants=[],
        figures=figures,
    )
    if not request.with_pmcid:
        b.variants.add("doi_only" if request.with_doi else "no_ids")
    truth.variants = sorted(b.variants)
    return BuiltArticle(
        root=root,
        render_style=b.rules.render,
        doctype=b.rules.doctype,
        truth=truth,
        images=b.images,
        glyphs=b.glyphs,
        supplements=_supplement_names(b),
        stem=_stem(b),
        pmc_number=request.pmc_number,
    )


def _draw_licence(rng: random.Random) -> str:
    codes = list(LICENCE_WEIGHTS)
    return rng.choices(codes, [LICENCE_WEIGHTS[c] for c in codes])[0]


def _doi_string(b: _Builder) -> str:
    if b.request.style == "elife":
        return f"eLife.{b.doi_tail}"
    if b.request.style == "plos":
        return f"journal.{b.doi_tail}"
    if b.request.style == "biorxiv":
        return f"2024.01.24.{b.doi_tail}"
    return b.doi_tail


def _stem(b: _Builder) -> str:
    style = b.request.style
    if style == "elife":
        return f"elife-{b.doi_tail}-v1"
    if style == "plos":
        return b.doi_tail
    if style == "springer":
        return f"{b.journal.code}_{b.rules.years[0]}_{b.doi_tail[-5:]}"
    return b.doi_tail


# --- front ------------------------------------------------------------------------------------------


def _front(
    b: _Builder,
    title_nodes: list[Node],
    doi: str | None,
    pmid: str | None,
    date: tuple[int, int, int],
    licence: str,
) -> Element:
    request = b.request
    journal_meta = block(
        "journal-meta",
        el("journal-id", b.journal.nlm_ta, journal_id_type="nlm-ta"),
        block("journal-title-group", el("journal-title", b.journal.title)),
        block("publisher", el("publisher-name", b.journal.publisher)),
    )
    ids: list[Node] = []
    if pmid:
        ids.append(el("article-id", pmid, pub_id_type="pmid"))
    if request.with_pmcid:
        ids += _pmcid_elements(b)
    if doi:
        ids.append(el("article-id", doi, pub_id_type="doi"))
    if request.style in ("elsevier", "springer"):
        ids.append(
            el("article-id", f"S{request.pmc_number % 99991}-{b.doi_tail[-4:]}", pub_id_type="publisher-id")
        )
    meta = block("article-meta", *ids)
    if request.version is not None:
        meta.add(el("article-version", str(request.version), article_version_type="pmc-version"))
    subject = text.pick(b.rng, text.SUBJECTS)
    meta.add(
        block("article-categories", block("subj-group", el("subject", subject), subj_group_type="heading"))
    )
    meta.add(block("title-group", el("article-title", *title_nodes)))
    authors = [text.person(b.rng) for _ in range(b.rng.randint(1, 6))]
    meta.add(
        block(
            "contrib-group",
            *[
                block(
                    "contrib",
                    block("name", el("surname", surname), el("given-names", given)),
                    contrib_type="author",
                )
                for surname, given in authors
            ],
        )
    )
    meta.add(*_pub_dates(b, date))
    meta.add(el("volume", str(b.rng.randint(1, 40))), el("elocation-id", f"e{b.rng.randint(1000, 99999)}"))
    meta.add(_permissions(b, licence, date[0]))
    meta.add(block("abstract", el("p", text.sentence(b.rng, "abstract"), *text.filler(b.rng, 1))))
    meta.add(block("kwd-group", *[el("kwd", text.pick(b.rng, text.GENES)) for _ in range(3)]))
    return block("front", journal_meta, meta)


def _pmcid_elements(b: _Builder) -> list[Node]:
    number, version = b.request.pmc_number, b.request.version
    if version is not None:  # new PMC XML: pmcaid/pmcaiid are internal numbers, not the PMCID
        b.variants.add("pmcid_ver_ids")
        return [
            el("article-id", f"PMC{number}", pub_id_type="pmcid"),
            el("article-id", f"PMC{number}.{version}", pub_id_type="pmcid-ver"),
            el("article-id", str(number * 3 + 17), pub_id_type="pmcaid"),
            el("article-id", str(number * 5 + 11), pub_id_type="pmcaiid"),
        ]
    if b.request.style in ("springer", "mdpi"):
        return [el("article-id", f"PMC{number}", pub_id_type="pmcid")]
    return [el("article-id", str(number), pub_id_type="pmc")]


def _pub_dates(b: _Builder, date: tuple[int, int, int]) -> list[Node]:
    year, month, day = date
    form = "jats" if "date_jats" in b.has else "nlm" if "date_nlm" in b.has else b.rules.dates
    b.variants.add(f"date_{form}")
    full = [el("day", f"{day:02d}"), el("month", f"{month:02d}"), el("year", str(year))]
    if form == "jats":
        return [
            block("pub-date", *full, publication_format="electronic", date_type="pub"),
            block("pub-date", el("year", str(year)), publication_format="print", date_type="collection"),
        ]
    # The print issue follows the electronic release, so the earliest date is the electronic one.
    print_month = month + b.rng.randint(1, 3)
    print_year = year + (print_month - 1) // 12
    print_date: list[Node] = (
        [el("season", "Spring")] if b.rng.random() < 0.2 else [el("month", str((print_month - 1) % 12 + 1))]
    )
    return [
        block("pub-date", *full, pub_type="epub"),
        block("pub-date", *print_date, el("year", str(print_year)), pub_type="ppub"),
    ]


def _permissions(b: _Builder, licence: str, year: int) -> Element:
    url, _ = LICENCES[licence]
    permissions = block(
        "permissions", el("copyright-statement", f"© {year} The Authors."), el("copyright-year", str(year))
    )
    b.variants.add(licence_variant(licence))
    b.licence_url = url
    if "cloud_json_licence" in b.has:
        b.licence_url = None
        b.variants.add("cloud_json_licence")  # no <license>: the cloud JSON carries the code
        return permissions
    if url is None:
        return permissions.add(block("license", el("license-p", NO_CC_TEXT)))
    if "license_spelling_variant" in b.has:
        b.variants.add("license_spelling_variant")
        spelled = licence.replace(" ", "-") + " 4.0"
        written = url.replace("https://", "http://").rstrip("/")
        b.licence_url = written
        link = el("ext-link", written, ext_link_type="uri", xlink__href=written)
        return permissions.add(
            block(
                "license",
                el("license-p", f"Published under a {spelled} licence (", link, ")."),
                license_type=spelled,
            )
        )
    link = el("ext-link", "Creative Commons License", ext_link_type="uri", xlink__href=url)
    licence_p = el(
        "license-p", "This is an open access article distributed under the terms of the ", link, "."
    )
    if b.rules.render.local_xlink:
        b.variants.add("license_ali_only")
        ref = el("ali:license_ref", url, specific_use="textmining", content_type="ccbylicense")
        return permissions.add(block("license", ref, licence_p))
    return permissions.add(block("license", licence_p, license_type="open-access", xlink__href=url))


# --- figures ------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    number: int
    element: Element  # <fig>, <fig-group> or <table-wrap>
    placement: str  # body | floats-group | app | boxed-text
    cite_ids: tuple[str, ...]  # ids a body paragraph cites ("" entries are skipped)
    cite_words: tuple[str, ...]  # the xref text for each cited id
    kind: str = "figure"


_EXTRA_FIGURES = (
    "multi_graphic",
    "alternatives",
    "fig_permissions",
    "no_caption",
    "no_label",
    "no_id",
    "no_graphic",
)


def _figure_drafts(b: _Builder) -> list[_Draft]:
    request, rng = b.request, b.rng
    zoo = sorted(f for f in request.features if f in ZOO_ENCODINGS)
    base = rng.randint(1, 3) if request.profile == "small" else rng.randint(1, 5)
    needs_three = {"xref_range", "xref_rid_list", "xref_no_ref_type"} & request.features
    base = max(base, 3 if needs_three else 1, 1 + len(request.replacements) + len(zoo))
    encodings = ["jpeg"] * base
    for offset, feature in enumerate(zoo):
        encodings[1 + len(request.replacements) + offset] = ZOO_ENCODINGS[feature]
    floats = "floats_group" in request.features
    drafts: list[_Draft] = []
    for index in range(base):
        number = index + 1
        spec = _spec(b, _style_encoding(b, encodings[index]), role="figure", large=index == 0)
        label = None
        if 0 < index <= len(request.replacements):
            spec, label = request.replacements[index - 1]
            b.variants.add("dup_exact" if label == "exact_copy" else f"dup_{label}")
        last = number == base
        present = not (last and "missing_href" in request.features)
        graphic = _graphic(b, number, "", "figure", spec, copy_label=label, present=present)
        if last and present and "corrupt_image" in request.features:
            b.images[_graphic_member(graphic)].corrupt = True
        caption_shape = (
            "title_paragraphs"
            if number == 1 and "caption_title_paragraphs" in request.features
            else "list"
            if number == 2 and "caption_list" in request.features
            else None
        )
        fig = _fig(
            b, number, [graphic], placement="floats-group" if floats else "body", caption_shape=caption_shape
        )
        drafts.append(_Draft(number, fig, "floats-group" if floats else "body", *_cites(b, fig, number)))
    number = base
    for feature in _EXTRA_FIGURES:
        if feature in request.features:
            number += 1
            drafts.append(_extra_figure(b, feature, number))
    if "fig_group" in request.features or "fig_group_with_id" in request.features:
        number += 1
        drafts.append(_fig_group(b, number))
    if "table_wrap_graphic" in request.features:
        drafts.append(_table(b, 1, "floats-group" if floats else "body"))
    if "app" in request.features:
        drafts.append(_placed_figure(b, 1, "app", "_app1", "Appendix 1—figure 1."))
    if "boxed_text" in request.features:
        drafts.append(_placed_figure(b, 1, "boxed-text", "_box1", "Box 1—figure 1."))
    return drafts


def _style_encoding(b: _Builder, encoding: str) -> str:
    style = b.request.style
    if style in ("elife", "biorxiv"):
        b.variants.add("href_elife_tif" if style == "elife" else "href_tif")
        return "tiff"
    if style == "plos" and "href_plos_doi_tif" in b.has:
        b.variants.add("href_plos_doi_tif")
        return "tiff"
    if style == "generic":
        return "png"
    return encoding if style in THUMBNAIL_STYLES else "jpeg"


def _spec(b: _Builder, encoding: str, *, role: str, large: bool = False) -> ImageSpec:
    """`large` pictures (first figures, which other archives copy; TIFF renditions) stay >= 160 px in the
    small profile, so near-duplicate transforms keep their perceptual hashes close."""
    rng = b.rng
    b.image_count += 1
    key = (b.request.seed, b.request.archive_index, b.request.slot, b.image_count)
    picture = "table_grid" if role == "table" else STYLES[rng.randrange(len(STYLES))]
    lossless = encoding in ("png", "png16", "rgba_png", "palette_png", "tiff", "gif")
    if b.request.profile == "small":
        width = rng.randint(160, 200) if large else rng.randint(32, 200)
        noise, max_bytes = (0 if lossless else 3), None
    elif lossless:
        width, noise, max_bytes = rng.randint(300, 700), 0, None
    elif encoding == "jpeg":
        width, noise, max_bytes = rng.randint(800, 2000), rng.randint(3, 6), 300_000
    else:
        width, noise, max_bytes = rng.randint(600, 1000), 2, None
    height = max(24, int(width * rng.uniform(0.6, 1.2)))
    min_bytes = 30_000 if max_bytes else None
    return ImageSpec(key, picture, width, height, noise, encoding, max_bytes=max_bytes, min_bytes=min_bytes)


def _names(b: _Builder, number: int, suffix: str, role: str, extension: str) -> tuple[str, str]:
    """(href exactly as the publisher writes it, member file name) for one graphic."""
    style, tail, code = b.request.style, b.doi_tail, b.journal.code
    figure = role == "figure"
    if style == "elsevier":
        stem = f"{'gr' if figure else 'tbl'}{number}{suffix}_lrg"
    elif style == "bmc":
        stem = f"{tail}-{'' if figure else 'T'}{number}{suffix}"
    elif style == "plos":
        stem = f"journal.{tail}.{'g' if figure else 't'}{number:03d}{suffix}"
        b.variants.add("href_plos_doi")
        return f"info:doi/10.1371/{stem}", f"{stem}.{extension}"
    elif style == "elife":
        part = {"_app1": "app1-fig", "_sa1": "sa1-fig", "_box1": "box1-fig"}.get(suffix)
        stem = (
            f"elife-{tail}-{part}{number}-v1"
            if part
            else f"elife-{tail}-{'fig' if figure else 'table'}{number}{suffix}-v1"
        )
    else:
        stem = {
            "springer": f"{code}_{b.rules.years[0]}_{tail[-5:]}_{'Fig' if figure else 'Tab'}{number}{suffix}"
            + "_HTML",
            "mdpi": f"{tail}-{'g' if figure else 't'}{number:03d}{suffix}",
            "scielo": f"{'fig' if figure else 'tab'}{number}{suffix}",
            "biorxiv": f"{tail}v1_{'fig' if figure else 'tbl'}{number}{suffix}",
            "generic": f"{'figure' if figure else 'table'}{number}{suffix}",
        }[style]
        b.variants.add("href_jpg" if extension == "jpg" else "href_with_extension")
        return f"{stem}.{extension}", f"{stem}.{extension}"
    b.variants.add("href_extensionless")
    return stem, f"{stem}.{extension}"


def _graphic(
    b: _Builder,
    number: int,
    suffix: str,
    role: str,
    spec: ImageSpec,
    *,
    copy_label: str | None = None,
    present: bool = True,
) -> Element:
    """A <graphic> and, when `present`, the image member its href resolves to."""
    href, member = _names(b, number, suffix, role, spec.extension)
    attrs: dict[str, str] = {"xlink:href": href}
    if b.request.style == "springer":
        attrs = {"id": f"MO{b.image_count}", "position": "float", **attrs}
    elif b.request.style == "elife":
        attrs = {"mime-subtype": "tiff", "mimetype": "image", **attrs}
    graphic = Element("graphic", attrs, meta=_GraphicMeta(href, member if present else None))
    if present:
        thumbnail = None
        if b.request.style in THUMBNAIL_STYLES:
            thumbnail = member.rsplit(".", 1)[0] + ".gif"
            b.variants.add("gif_thumbnails")
        b.images[member] = PlannedImage(member, spec, role, thumbnail, copy_label)
        if spec.encoding in ENCODING_VARIANTS:
            b.variants.add(ENCODING_VARIANTS[spec.encoding])
    return graphic


def _graphic_member(graphic: Element) -> str:
    meta = graphic.meta
    assert isinstance(meta, _GraphicMeta) and meta.member is not None
    return meta.member


def _caption(b: _Builder, shape: str | None) -> Element:
    rng = b.rng
    shape = shape or rng.choice(["title_paragraph", "title_paragraphs", "paragraph", "title"])
    caption = block("caption")
    panels = "ABCD"[: rng.randint(1, 4)]
    if shape != "paragraph" and shape != "list":
        caption.add(el("title", *text.caption_title(rng)))
    if shape in ("title_paragraph", "title_paragraphs", "paragraph"):
        caption.add(el("p", *text.caption_paragraph(rng, panels, with_reference=rng.random() < 0.3)))
        b.variants.add("caption_inline_markup")
    if shape == "title_paragraphs":
        caption.add(el("p", *text.stats_paragraph(rng)))
        b.variants.add("caption_title_paragraphs")
    if shape == "list":
        caption.add(el("title", *text.caption_title(rng)), text.panel_list(rng, panels))
        b.variants.add("caption_list")
    return caption


def _fig(
    b: _Builder,
    number: int,
    graphics: list[Node],
    *,
    placement: str,
    caption_shape: str | None = None,
    with_label: bool = True,
    with_caption: bool = True,
    with_id: bool = True,
    figure_id: str | None = None,
    label: str | None = None,
    permissions: bool = False,
    group: tuple[str | None, bool] = (None, False),
    sub_article_id: str | None = None,
    specific_use: str | None = None,
    caption: Element | None = None,
) -> Element:
    fig_id = (figure_id or _id(b, b.rules.fig_id, number)) if with_id else None
    label_text = (label or b.rules.label.format(n=number)) if with_label else None
    if caption is None and with_caption:
        caption = _caption(b, caption_shape)
    fig_type = b.rng.choice(FIG_TYPES) if b.rng.random() < 0.3 else None
    attrs = {
        k: v
        for k, v in (
            ("id", fig_id),
            ("fig-type", fig_type),
            ("specific-use", specific_use),
            ("position", "float"),
        )
        if v is not None
    }
    if fig_type:
        b.variants.add("fig_type_variants")
    fig = Element("fig", attrs, layout=True)
    fig.add(el("label", label_text) if label_text else None, caption, *graphics)
    if permissions:
        fig.add(
            block(
                "permissions",
                el("copyright-statement", "© 2015 Rossi et al. Reprinted with permission."),
                el("copyright-year", "2015"),
                block(
                    "license",
                    el(
                        "license-p",
                        "Reproduced from a third-party source; not covered by the article licence.",
                    ),
                ),
            )
        )
    fig.meta = _FigMeta(
        figure_id=fig_id,
        label=label_text,
        caption=plain_text(caption) if caption is not None else "",
        caption_title=_caption_title(caption),
        placement=placement,
        kind="figure",
        fig_type=fig_type,
        fig_group_id=group[0],
        in_fig_group=group[1],
        sub_article_id=sub_article_id,
        has_own_permissions=permissions,
    )
    return fig


def _caption_title(caption: Element | None) -> str | None:
    if caption is None:
        return None
    titles = [child for child in caption.children if isinstance(child, Element) and child.tag == "title"]
    return plain_text(titles[0]) if titles else None


def _id(b: _Builder, pattern: str, number: int) -> str:
    return pattern.format(n=number, doi_tail=b.doi_tail)


def _cites(b: _Builder, fig: Element, number: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    meta = fig.meta
    assert isinstance(meta, _FigMeta)
    if meta.figure_id is None:
        return (), ()
    return (meta.figure_id,), (f"Figure {number}",)


def _extra_figure(b: _Builder, feature: str, number: int) -> _Draft:
    spec = _spec(b, _style_encoding(b, "jpeg"), role="figure")
    placement = "body"
    if feature == "multi_graphic":
        second = _spec(b, _style_encoding(b, "jpeg"), role="figure")
        graphics: list[Node] = [
            _graphic(b, number, "a", "figure", spec),
            _graphic(b, number, "b", "figure", second),
        ]
    elif feature == "alternatives":
        # Two renditions of one picture: the print TIFF is a pixel-identical near duplicate of the web JPEG.
        lossless = _spec(b, "tiff", role="figure", large=True)
        web = ImageSpec(
            lossless.key,
            lossless.style,
            lossless.width,
            lossless.height,
            lossless.noise,
            _style_encoding(b, "jpeg"),
        )
        graphics = [
            block(
                "alternatives",
                _graphic(b, number, "", "figure", web),
                _graphic(b, number, "_print", "figure", lossless, copy_label="alternative_rendition"),
            )
        ]
    else:
        graphics = [] if feature == "no_graphic" else [_graphic(b, number, "", "figure", spec)]
    b.variants.add(feature)
    fig = _fig(
        b,
        number,
        graphics,
        placement=placement,
        with_caption=feature != "no_caption",
        with_label=feature != "no_label",
        with_id=feature != "no_id",
        permissions=feature == "fig_permissions",
    )
    cite_ids, cite_words = _cites(b, fig, number)
    return _Draft(number, fig, placement, cite_ids, cite_words)


def _fig_group(b: _Builder, number: int) -> _Draft:
    """eLife figure supplements (no group id) or a publisher group with an id around panel figures."""
    elife_like = "fig_group" in b.has
    children: list[Element] = []
    if elife_like:
        b.variants.add("fig_group")
        main = _fig(
            b,
            number,
            [_graphic(b, number, "", "figure", _spec(b, _style_encoding(b, "jpeg"), role="figure"))],
            placement="body",
            group=(None, True),
        )
        children.append(main)
        for child in range(1, b.rng.randint(1, 2) + 1):
            suffix = f"-figsupp{child}" if b.request.style == "elife" else f"s{child}"
            graphic = _graphic(
                b, number, suffix, "figure", _spec(b, _style_encoding(b, "jpeg"), role="figure")
            )
            base_id, base_label = _id(b, b.rules.fig_id, number), b.rules.label.format(n=number).rstrip(".")
            children.append(
                _fig(
                    b,
                    number,
                    [graphic],
                    placement="body",
                    group=(None, True),
                    figure_id=f"{base_id}s{child}",
                    specific_use="child-fig",
                    label=f"{base_label}—figure supplement {child}.",
                )
            )
        group = block("fig-group", *children)
    else:
        b.variants.add("fig_group_with_id")
        group_id = _id(b, b.rules.fig_id, number)
        for letter in "AB":
            graphic = _graphic(
                b, number, letter.lower(), "figure", _spec(b, _style_encoding(b, "jpeg"), role="figure")
            )
            children.append(
                _fig(
                    b,
                    number,
                    [graphic],
                    placement="body",
                    group=(group_id, True),
                    figure_id=f"{group_id}{letter}",
                    label=f"{b.rules.label.format(n=number).rstrip('.')}{letter}",
                )
            )
        group = block("fig-group", *children, id=group_id)
    ids, words = [], []
    for child_fig in children:
        meta = child_fig.meta
        assert isinstance(meta, _FigMeta) and meta.figure_id is not None and meta.label is not None
        ids.append(meta.figure_id)
        words.append(meta.label.rstrip("."))
    return _Draft(number, group, "body", tuple(ids), tuple(words))


def _table(b: _Builder, number: int, placement: str) -> _Draft:
    b.variants.add("table_wrap_graphic")
    table_id = _id(b, b.rules.table_id, number)
    graphic = _graphic(b, number, "", "table", _spec(b, _style_encoding(b, "jpeg"), role="table"))
    caption = block(
        "caption", el("p", f"Baseline characteristics of the {text.pick(b.rng, text.CELLS)} cohort.")
    )
    label = f"Table {number}"
    table = block("table-wrap", el("label", label), caption, graphic, id=table_id, position="float")
    table.meta = _FigMeta(
        table_id, label, plain_text(caption), None, placement, "table", None, None, False, None, False
    )
    return _Draft(number, table, placement, (table_id,), (label,), kind="table")


def _placed_figure(b: _Builder, number: int, placement: str, suffix: str, label: str) -> _Draft:
    b.variants.add(placement.replace("-", "_"))
    graphic = _graphic(b, number, suffix, "figure", _spec(b, _style_encoding(b, "jpeg"), role="figure"))
    fig_id = f"{suffix.strip('_')}fig{number}"
    fig = _fig(b, number, [graphic], placement=placement, figure_id=fig_id, label=label)
    return _Draft(number, fig, placement, (fig_id,), (label.rstrip("."),))


# --- body ---------------------------------------------------------------------------------------------


def _paragraph(b: _Builder, *nodes: Node) -> tuple[Element, str]:
    b.paragraph_count += 1
    lead = text.sentence(b.rng, f"{b.request.slot}.{b.paragraph_count}")
    sentences = 1 if b.request.profile == "small" else b.rng.randint(4, 9)
    return el("p", lead, *nodes, *text.filler(b.rng, sentences)), lead


def _xref(
    b: _Builder, rids: tuple[str, ...], xref_text: str, lead: str, section: str, ref_type: str | None = "fig"
) -> Element:
    b.citations.append(_Citation(rids, xref_text, lead, section))
    attrs = {"ref-type": ref_type, "rid": " ".join(rids)} if ref_type else {"rid": " ".join(rids)}
    return Element("xref", attrs, [xref_text])


def _citing_paragraph(b: _Builder, draft: _Draft, section: str, form: str) -> Element:
    b.paragraph_count += 1
    lead = text.sentence(b.rng, f"{b.request.slot}.{b.paragraph_count}")
    nodes: list[Node] = [lead, " ("]
    for position, (rid, word) in enumerate(zip(draft.cite_ids, draft.cite_words, strict=True)):
        if position:
            nodes.append("; ")
        shown = f"Fig. {draft.number}B" if form == "xref_panel" and draft.kind == "figure" else word
        xref = _xref(
            b,
            (rid,),
            shown,
            lead,
            section,
            ref_type=None if form == "xref_no_ref_type" else ("table" if draft.kind == "table" else "fig"),
        )
        nodes.append(el("bold", xref) if form == "xref_in_bold" else xref)
    nodes.append(").")
    if form != "plain" and draft.cite_ids:
        b.variants.add(form)
    sentences = 1 if b.request.profile == "small" else b.rng.randint(3, 7)
    return el("p", *nodes, *text.filler(b.rng, sentences))


def _body(b: _Builder, drafts: list[_Draft]) -> Element:
    intro_title, results_title = "Introduction", text.pick(b.rng, ("Results", "Findings"))
    intro = block("sec", el("title", intro_title), id="s1")
    for _ in range(1 if b.request.profile == "small" else 3):
        paragraph, _lead = _paragraph(
            b, " Prior work [", el("xref", "1", ref_type="bibr", rid="B1"), "] motivated this study."
        )
        intro.add(paragraph)
    results = block("sec", el("title", results_title), id="s2")
    cited = [d for d in drafts if d.cite_ids and d.kind == "figure"]
    if len(cited) >= 3 and "xref_rid_list" in b.has:
        b.variants.add("xref_rid_list")
        b.paragraph_count += 1
        lead = text.sentence(b.rng, f"{b.request.slot}.{b.paragraph_count}")
        rids = (cited[0].cite_ids[0], cited[1].cite_ids[0])
        results.add(el("p", lead, " (", _xref(b, rids, "Figs. 1 and 2", lead, results_title), ")."))
    if len(cited) >= 3 and "xref_range" in b.has:
        b.variants.add("xref_range")
        b.paragraph_count += 1
        lead = text.sentence(b.rng, f"{b.request.slot}.{b.paragraph_count}")
        first = _xref(b, (cited[0].cite_ids[0],), "1", lead, results_title)
        last = _xref(b, (cited[2].cite_ids[0],), "3", lead, results_title)
        # The figure inside the range is cited too, by the whole range's text.
        b.citations.append(_Citation((cited[1].cite_ids[0],), "1–3", lead, results_title))
        results.add(el("p", lead, " (Figs. ", first, "–", last, ")."))
    forms = _citation_forms(b, drafts)
    wrapped_in_p = False
    for draft, form in zip(drafts, forms, strict=True):
        if draft.cite_ids and draft.placement != "sub-article":
            results.add(_citing_paragraph(b, draft, results_title, form))
        if draft.placement == "body":
            if "fig_in_p" in b.has and not wrapped_in_p and draft.element.tag == "fig":
                wrapped_in_p = True
                b.variants.add("fig_in_p")
                results.add(el("p", draft.element))
            else:
                results.add(draft.element)
        elif draft.placement == "boxed-text":
            box_caption = block("caption", el("title", "Box 1. Key concepts"))
            box_text, _lead = _paragraph(b)
            results.add(block("boxed-text", box_caption, box_text, draft.element, id="box1"))
    discussion = block("sec", el("title", "Discussion"), _paragraph(b)[0], id="s3")
    return block("body", intro, results, discussion, _methods(b))


def _citation_forms(b: _Builder, drafts: list[_Draft]) -> list[str]:
    forms = ["plain"] * len(drafts)
    figure_positions = [i for i, d in enumerate(drafts) if d.cite_ids and d.kind == "figure"]
    wanted = [f for f in ("xref_panel", "xref_in_bold", "xref_no_ref_type") if f in b.has]
    for position, form in zip(figure_positions, wanted, strict=False):
        forms[position] = form
    for position in figure_positions[len(wanted) :]:
        if b.rng.random() < 0.2:
            forms[position] = b.rng.choice(["xref_panel", "xref_in_bold", "xref_no_ref_type"])
    return forms


def _methods(b: _Builder) -> Element:
    title = "Methods"
    methods = block("sec", el("title", title), id="s4")
    glyph_ext = "" if b.request.style in ("elsevier", "bmc") else ".gif"
    if "inline_graphic" in b.has:
        b.variants.add("inline_graphic")
        href = _glyph(b, "si1" if b.request.style == "elsevier" else f"{_stem(b)}-i1", glyph_ext, "inline")
        paragraph, _lead = _paragraph(
            b, " The ratio ", el("inline-graphic", xlink__href=href), " was computed per animal."
        )
        methods.add(paragraph)
    if "disp_formula_graphic" in b.has:
        b.variants.add("disp_formula_graphic")
        first = _glyph(b, "si2" if b.request.style == "elsevier" else f"{_stem(b)}-e1", glyph_ext, "formula")
        second = _glyph(b, "si3" if b.request.style == "elsevier" else f"{_stem(b)}-e2", glyph_ext, "formula")
        formula = block("disp-formula", el("label", "(1)"), el("graphic", xlink__href=first), id="E1")
        alternatives = block(
            "alternatives", el("mml:math", el("mml:mi", "x")), el("graphic", xlink__href=second)
        )
        methods.add(
            el(
                "p",
                "The index was defined as ",
                formula,
                " and normalised as ",
                block("disp-formula", alternatives, id="E2"),
                ".",
            )
        )
    methods.add(_paragraph(b)[0])
    if b.rng.random() < 0.4:  # a real table: never a figure row
        rows = [
            block("tr", el("td", text.pick(b.rng, text.CELLS)), el("td", str(b.rng.randint(3, 90))))
            for _ in range(3)
        ]
        table = block(
            "table", block("thead", block("tr", el("th", "Group"), el("th", "n"))), block("tbody", *rows)
        )
        methods.add(
            block(
                "table-wrap",
                el("label", "Table S1"),
                block("caption", el("p", "Cohort sizes.")),
                table,
                id="TS1",
            )
        )
    return methods


def _glyph(b: _Builder, stem: str, extension: str, role: str) -> str:
    name = f"{stem}.gif"
    b.glyphs.append(
        PlannedGlyph(
            name, (b.request.seed, b.request.archive_index, b.request.slot, 1000 + len(b.glyphs)), role
        )
    )
    return stem + extension


# --- back, floats, sub-articles -----------------------------------------------------------------------


def _back(b: _Builder, drafts: list[_Draft]) -> tuple[Element, list[str], list[str]]:
    back = block(
        "back",
        block("ack", el("title", "Acknowledgements"), el("p", "We thank the imaging facility for support.")),
    )
    for draft in drafts:
        if draft.placement == "app":
            app_text, _lead = _paragraph(b)
            back.add(
                block(
                    "app-group", block("app", el("title", "Appendix 1"), app_text, draft.element, id="app1")
                )
            )
    for name in _supplement_names(b):
        back.add(
            block(
                "supplementary-material",
                el("label", "Supplementary file 1"),
                el("media", xlink__href=name, mimetype="application"),
                id="SM1",
            )
        )
    pmids: list[str] = []
    dois: list[str] = []
    refs = block("ref-list", el("title", "References"))
    for number in range(1, b.rng.randint(3, 8) + 1):
        surname, given = text.person(b.rng)
        citation = block(
            "element-citation",
            block(
                "person-group",
                block("name", el("surname", surname), el("given-names", given)),
                person_group_type="author",
            ),
            el(
                "article-title",
                f"Study of {text.pick(b.rng, text.GENES)} in {text.pick(b.rng, text.TISSUES)}",
            ),
            el("source", "J Biol Chem"),
            el("year", str(b.rng.randint(1990, 2020))),
            publication_type="journal",
        )
        if b.rng.random() < 0.7:
            pmid = str(b.rng.randint(1_000_000, 39_999_999))
            pmids.append(pmid)
            citation.add(el("pub-id", pmid, pub_id_type="pmid"))
        if b.rng.random() < 0.7:
            doi = f"10.{b.rng.randint(1000, 9999)}/ref.{b.rng.randint(10000, 99999)}"
            dois.append(doi)
            citation.add(el("pub-id", doi, pub_id_type="doi"))
        refs.add(block("ref", citation, id=f"B{number}"))
    back.add(refs)
    if pmids or dois:
        b.variants.add("references")
    return back, pmids, dois


def _supplement_names(b: _Builder) -> list[str]:
    rng = random.Random(f"supplement/{b.request.seed}/{b.request.archive_index}/{b.request.slot}")
    if rng.random() >= 0.3:
        return []
    style = b.request.style
    return [
        {
            "elsevier": "mmc1.docx",
            "plos": f"journal.{b.doi_tail}.s001.xlsx",
            "elife": f"elife-{b.doi_tail}-supp1-v1.xlsx",
        }.get(style, f"{_stem(b)}-s001.docx")
    ]


def _sub_articles(b: _Builder, drafts: list[_Draft]) -> list[Element]:
    subs: list[Element] = []
    if "sub_article_decision_letter" in b.has:
        b.variants.add("sub_article_decision_letter")
        graphic = _graphic(b, 1, "_sa1", "figure", _spec(b, _style_encoding(b, "jpeg"), role="figure"))
        fig = _fig(
            b,
            1,
            [graphic],
            placement="sub-article",
            figure_id="sa1fig1",
            label="Decision letter image 1.",
            sub_article_id="SA1",
        )
        letter, _lead = _paragraph(b)
        front = block("front-stub", block("title-group", el("article-title", "Decision letter")))
        subs.append(
            block("sub-article", front, block("body", letter, fig), article_type="decision-letter", id="SA1")
        )
    first = next(
        (d for d in drafts if d.element.tag == "fig" and d.placement in ("body", "floats-group")), None
    )
    if "sub_article_translation" in b.has and first is not None:
        b.variants.add("sub_article_translation")
        original = next(node for node in first.element.walk() if isinstance(node.meta, _GraphicMeta))
        assert isinstance(original.meta, _GraphicMeta)
        repeat = Element("graphic", dict(original.attrs), meta=original.meta)  # same href, same member
        caption_words = " ".join(b.rng.sample(text.SPANISH_WORDS, 4))
        caption = block(
            "caption", el("p", f"{text.initial_upper(caption_words)} de la ", el("italic", "figura"), " 1.")
        )
        fig = _fig(
            b,
            1,
            [repeat],
            placement="sub-article",
            figure_id="SA2-F1",
            label="Figura 1",
            sub_article_id="SA2",
            caption=caption,
        )
        front = block("front-stub", block("title-group", el("article-title", "Traducción al español")))
        body = block("body", block("sec", el("title", "Resultados"), el("p", f"{caption_words}."), fig))
        sub = block("sub-article", front, body, article_type="translation", id="SA2")
        sub.attrs["xml:lang"] = "es"
        subs.append(sub)
    return subs


def _figure_truths(b: _Builder, root: Element) -> list[FigureTruth]:
    truths: list[FigureTruth] = []
    for node in root.walk():
        meta = node.meta
        if not isinstance(meta, _FigMeta):
            continue
        graphics = [g.meta for g in node.walk() if isinstance(g.meta, _GraphicMeta)]
        refs = [
            InlineRefTruth(c.xref_text, c.paragraph_contains, c.section_title)
            for c in b.citations
            if meta.figure_id is not None and meta.figure_id in c.rids
        ]
        for index, graphic in enumerate(graphics):
            truths.append(
                FigureTruth(
                    ordinal=len(truths),
                    graphic_index=index,
                    figure_id=meta.figure_id,
                    label=meta.label,
                    caption=meta.caption,
                    caption_title=meta.caption_title,
                    graphic_href=graphic.href,
                    resolved_member=graphic.member,
                    image_sha256=None,
                    placement=meta.placement,
                    kind=meta.kind,
                    fig_type=meta.fig_type,
                    fig_group_id=meta.fig_group_id,
                    in_fig_group=meta.in_fig_group,
                    sub_article_id=meta.sub_article_id,
                    has_own_permissions=meta.has_own_permissions,
                    inline_refs=[
                        InlineRefTruth(r.xref_text, r.paragraph_contains, r.section_title) for r in refs
                    ],
                )
            )
    return truths
