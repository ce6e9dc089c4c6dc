"""What each archive of a corpus holds, as a pure function of (seed, index).

The first `SHOWCASE_SLOTS` indices hold one showcase archive per bundle below, at seed-shuffled positions,
so every variant appears once a corpus has that many archives. Every other index draws a realistic recipe.
Plans never depend on the corpus size: a corpus of N archives is a prefix of a corpus of N + k.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import lru_cache

from biomedica_spark.samples.images import TRANSFORMS

SHOWCASE_SLOTS = 40

# Image encodings besides plain JPEG, each planted somewhere in every corpus.
_ZOO = (
    "image_png",
    "image_tiff",
    "image_cmyk_jpeg",
    "image_png16",
    "image_rgba_png",
    "image_exif_rotated",
    "image_palette_png",
    "image_greyscale",
)

# Every variant name the truth can carry. Each appears at least once in a corpus of >= SHOWCASE_SLOTS
# archives generated with broken=True and duplicates=True (tests check this for several seeds).
VARIANTS: tuple[str, ...] = (
    # figure markup
    "caption_inline_markup",
    "caption_title_paragraphs",
    "caption_list",
    "fig_type_variants",
    "fig_group",
    "fig_group_with_id",
    "floats_group",
    "app",
    "boxed_text",
    "fig_in_p",
    "alternatives",
    "multi_graphic",
    "no_caption",
    "no_label",
    "no_id",
    "no_graphic",
    "fig_permissions",
    "table_wrap_graphic",
    "inline_graphic",
    "disp_formula_graphic",
    "sub_article_decision_letter",
    "sub_article_translation",
    # in-text citations
    "xref_panel",
    "xref_rid_list",
    "xref_range",
    "xref_in_bold",
    "xref_no_ref_type",
    # XML form and metadata
    "jats_default_namespace",
    "pmcid_ver_ids",
    "date_nlm",
    "date_jats",
    "references",
    "no_pmcid_file_name",
    "doi_only",
    "no_ids",
    "license_cc0",
    "license_cc_by",
    "license_cc_by_sa",
    "license_cc_by_nd",
    "license_cc_by_nc",
    "license_cc_by_nc_sa",
    "license_cc_by_nc_nd",
    "license_no_cc_code",
    "license_spelling_variant",
    "license_ali_only",
    "cloud_json_licence",
    "retracted",
    # hrefs and members
    "href_extensionless",
    "href_jpg",
    "href_with_extension",
    "href_plos_doi",
    "href_plos_doi_tif",
    "href_elife_tif",
    "href_tif",
    "gif_thumbnails",
    # containers and layouts
    "archive_tar_gz",
    "archive_tgz",
    "archive_tar",
    "archive_zip",
    "bare_xml",
    "bare_nxml",
    "main_nxml",
    "pmc_articleset",
    "europepmc_articles",
    "multi_article_archive",
    "macosx_junk",
    "meca_manifest",
    "cloud_layout",
    "cloud_versions",
    "bulk_duplicate",
    # image encodings: plain JPEG, then the harder ones figures are drawn from
    "image_jpeg",
    *_ZOO,
    # planted duplicates (duplicates=True)
    "dup_exact",
    *(f"dup_{transform}" for transform in TRANSFORMS),
    # broken inputs (broken=True)
    "broken_truncated_gzip",
    "broken_empty_file",
    "broken_truncated_xml",
    "broken_corrupt_image",
    "broken_missing_href",
    "broken_unsafe_member",
    "broken_link_member",
    "broken_xml_entities",
    "broken_not_article",
    "broken_no_article",
)

LAYOUTS = (
    "legacy_package",
    "cloud",
    "cloud_version",
    "elife_zip",
    "publisher_zip",
    "multi_article_zip",
    "meca_zip",
    "bare_xml",
    "bare_nxml",
    "bulk_copy",
    "pmc_articleset",
    "europepmc_articles",
)


@dataclass(frozen=True)
class ArchivePlan:
    index: int
    layout: str
    styles: tuple[str, ...]  # one per article
    container: str  # tar.gz | tgz | tar | zip | xml | nxml
    features: frozenset[str] = frozenset()
    licences: tuple[str | None, ...] = ()  # forced per article; None (or missing) draws one
    with_pmcid: bool = True
    with_doi: bool = True
    retracted: bool = False
    copy_of: int | None = None  # bulk copy / second cloud version: the archive whose article repeats
    duplicate_sources: tuple[tuple[int, str], ...] = ()  # (archive holding the picture, transform label)

    def licence(self, slot: int) -> str | None:
        return self.licences[slot] if slot < len(self.licences) else None


@dataclass(frozen=True)
class _Bundle:
    layout: str
    styles: tuple[str, ...]
    container: str
    features: frozenset[str] = frozenset()
    licences: tuple[str | None, ...] = ()
    with_pmcid: bool = True
    with_doi: bool = True
    retracted: bool = False
    copy_of: int | None = None  # bundle number
    duplicate_sources: tuple[tuple[int, str], ...] = ()  # (bundle number, transform label)


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_BUNDLES: tuple[_Bundle, ...] = (
    # 0: Elsevier package: main.nxml, fig inside <p>, formulas and inline graphics, a translation sub-article
    _Bundle(
        "legacy_package",
        ("elsevier",),
        "tar.gz",
        _f(
            "fig_in_p",
            "inline_graphic",
            "disp_formula_graphic",
            "xref_panel",
            "caption_title_paragraphs",
            "sub_article_translation",
            "date_nlm",
        ),
        ("CC BY-NC-ND",),
    ),
    # 1: BMC package: several graphics, rid lists, ranges, alternatives, third-party permissions
    _Bundle(
        "legacy_package",
        ("bmc",),
        "tar.gz",
        _f("multi_graphic", "xref_rid_list", "xref_range", "caption_list", "alternatives", "fig_permissions"),
        ("CC BY",),
    ),
    # 2: PLOS .tgz: info:doi hrefs, a table image, xrefs in bold / without ref-type, a figure without label
    _Bundle(
        "legacy_package",
        ("plos",),
        "tgz",
        _f("table_wrap_graphic", "xref_in_bold", "xref_no_ref_type", "no_label"),
        ("CC BY",),
    ),
    # 3: PLOS .tar with TIFF members, figures without caption / id / graphic
    _Bundle(
        "legacy_package",
        ("plos",),
        "tar",
        _f("href_plos_doi_tif", "no_caption", "no_id", "no_graphic"),
        ("CC0",),
    ),
    # 4: eLife zip: figure supplements, decision letter, appendix; no PMCID (DOI key)
    _Bundle(
        "elife_zip",
        ("elife",),
        "zip",
        _f("fig_group", "sub_article_decision_letter", "app"),
        ("CC BY",),
        with_pmcid=False,
    ),
    # 5: SciELO-like zip with three article folders and __MACOSX junk
    _Bundle(
        "multi_article_zip",
        ("scielo", "scielo", "scielo"),
        "zip",
        _f("boxed_text"),
        ("CC BY-SA", "CC BY-NC-SA", "CC BY-ND"),
        with_pmcid=False,
    ),
    # 6: MECA zip (bioRxiv-like) with manifest.xml
    _Bundle("meca_zip", ("biorxiv",), "zip", _f(), ("CC BY-NC",), with_pmcid=False),
    # 7: PMC Cloud article version in the new XML: default JATS namespace, JATS dates
    _Bundle("cloud", ("mdpi",), "tar.gz", _f("jats_default_namespace", "date_jats"), ("CC BY-NC",)),
    # 8 + 9: one cloud article in two versions; the higher version is a manuscript, so v1 stays current
    _Bundle("cloud", ("springer",), "tar.gz", _f("jats_default_namespace"), ("CC BY",)),
    _Bundle("cloud_version", ("springer",), "tar.gz", copy_of=8),
    # 10: retracted cloud article whose XML has no <license>: the JSON code is authoritative
    _Bundle(
        "cloud",
        ("mdpi",),
        "tar.gz",
        _f("cloud_json_licence", "jats_default_namespace"),
        ("CC BY",),
        retracted=True,
    ),
    # 11: Springer package: floats-group, fig-group with id, ali:license_ref only, .jpg hrefs
    _Bundle(
        "legacy_package",
        ("springer",),
        "tar.gz",
        _f("floats_group", "fig_group_with_id", "table_wrap_graphic"),
        ("CC BY",),
    ),
    # 12: Elsevier COVID-style package with a NO-CC licence and the first half of the image zoo
    _Bundle(
        "legacy_package",
        ("elsevier",),
        "tar.gz",
        _f("image_png", "image_tiff", "image_cmyk_jpeg", "image_png16"),
        ("NO-CC CODE",),
    ),
    # 13: BMC package: second half of the zoo, licence spelled "CC-BY 4.0"
    _Bundle(
        "legacy_package",
        ("bmc",),
        "tar.gz",
        _f(
            "image_rgba_png",
            "image_exif_rotated",
            "image_palette_png",
            "image_greyscale",
            "license_spelling_variant",
        ),
        ("CC BY",),
    ),
    # 14: efetch output: <pmc-articleset> with two articles
    _Bundle("pmc_articleset", ("bmc", "plos"), "xml"),
    # 15: Europe PMC <articles> wrapper with three articles
    _Bundle("europepmc_articles", ("elsevier", "springer", "plos"), "xml", _f("date_jats")),
    # 16: bare .nxml without PMCID: the key comes from the file name
    _Bundle("bare_nxml", ("bmc",), "nxml", with_pmcid=False),
    # 17: package whose XML has no PMCID (file name PMC<id>/main.nxml)
    _Bundle("legacy_package", ("elsevier",), "tar.gz", _f("app"), with_pmcid=False),
    # 18: the article of bundle 0 again, as bare bulk XML without media
    _Bundle("bulk_copy", ("elsevier",), "xml", copy_of=0),
    # 19: publisher zip whose article has no PMCID and no DOI: key from the XML hash
    _Bundle("publisher_zip", ("generic",), "zip", with_pmcid=False, with_doi=False),
    # 20-22: planted duplicates of the first figures of bundles 1, 0, 12 and 11
    _Bundle(
        "legacy_package", ("elsevier",), "tar.gz", duplicate_sources=((1, "exact_copy"), (0, "resave_q60"))
    ),
    _Bundle(
        "legacy_package", ("bmc",), "tar.gz", duplicate_sources=((12, "resave_q90"), (11, "resize_half"))
    ),
    _Bundle("legacy_package", ("elsevier",), "tgz", duplicate_sources=((1, "recompress"), (0, "pad"))),
)


@lru_cache(maxsize=64)
def _showcase_positions(seed: int) -> tuple[int, ...]:
    """Bundle number -> archive index, shuffled by seed inside the first SHOWCASE_SLOTS indices."""
    return tuple(random.Random(f"showcase/{seed}").sample(range(SHOWCASE_SLOTS), len(_BUNDLES)))


def plan_archive(seed: int, index: int, *, duplicates: bool = True) -> ArchivePlan:
    positions = _showcase_positions(seed)
    if index in positions:
        plan = _from_bundle(index, _BUNDLES[positions.index(index)], positions)
    else:
        plan = _random_plan(seed, index, with_sources=True)
    if not duplicates:
        return replace(plan, duplicate_sources=())
    return plan


def _from_bundle(index: int, bundle: _Bundle, positions: tuple[int, ...]) -> ArchivePlan:
    return ArchivePlan(
        index=index,
        layout=bundle.layout,
        styles=bundle.styles,
        container=bundle.container,
        features=bundle.features,
        licences=bundle.licences,
        with_pmcid=bundle.with_pmcid,
        with_doi=bundle.with_doi,
        retracted=bundle.retracted,
        copy_of=positions[bundle.copy_of] if bundle.copy_of is not None else None,
        duplicate_sources=tuple((positions[source], label) for source, label in bundle.duplicate_sources),
    )


# Recipe weights for every non-showcase archive: mostly legacy packages, as in PMC-OA.
_LAYOUT_WEIGHTS = {
    "legacy_package": 80,
    "cloud": 8,
    "elife_zip": 3,
    "bulk_copy": 2,
    "bare_xml": 2,
    "publisher_zip": 1,
    "multi_article_zip": 1,
    "meca_zip": 1,
    "pmc_articleset": 1,
    "europepmc_articles": 1,
}
_LEGACY_STYLES = {"elsevier": 30, "bmc": 15, "plos": 20, "springer": 35}
_RANDOM_FEATURES = {
    "floats_group": 0.05,
    "app": 0.04,
    "boxed_text": 0.04,
    "fig_in_p": 0.05,
    "alternatives": 0.03,
    "multi_graphic": 0.08,
    "no_caption": 0.05,
    "no_label": 0.04,
    "no_id": 0.03,
    "fig_permissions": 0.04,
    "table_wrap_graphic": 0.15,
    "inline_graphic": 0.1,
    "disp_formula_graphic": 0.1,
    "sub_article_translation": 0.02,
    "caption_list": 0.05,
    "fig_group_with_id": 0.03,
}
DUPLICATE_RATE = 0.05
DUPLICATE_LABELS = ("exact_copy", *TRANSFORMS)


def _random_plan(seed: int, index: int, *, with_sources: bool) -> ArchivePlan:
    """`with_sources=False` skips picking duplicate and copy sources: enough to judge a candidate source."""
    rng = random.Random(f"plan/{seed}/{index}")
    layout = _weighted(rng, _LAYOUT_WEIGHTS)
    features = {name for name, rate in _RANDOM_FEATURES.items() if rng.random() < rate}
    if layout == "legacy_package":
        style = _weighted(rng, _LEGACY_STYLES)
        if style in ("elsevier", "bmc"):
            features |= {name for name in _ZOO if rng.random() < 0.02}
        container = rng.choices(["tar.gz", "tgz", "tar"], [90, 6, 4])[0]
        plan = ArchivePlan(index, layout, (style,), container, frozenset(features))
        if with_sources and rng.random() < DUPLICATE_RATE and index > 0:
            source = _duplicate_source(seed, index, rng)
            if source is not None:
                plan = replace(plan, duplicate_sources=((source, rng.choice(DUPLICATE_LABELS)),))
        return plan
    if layout == "cloud":
        features |= {"date_jats"} | ({"jats_default_namespace"} if rng.random() < 0.7 else set())
        return ArchivePlan(index, layout, (rng.choice(["mdpi", "springer"]),), "tar.gz", frozenset(features))
    if layout == "elife_zip":
        features |= {"fig_group"} | ({"sub_article_decision_letter"} if rng.random() < 0.5 else set())
        return ArchivePlan(index, layout, ("elife",), "zip", frozenset(features), with_pmcid=False)
    if layout == "bulk_copy":
        source = _copy_source(seed, index, rng) if with_sources else None
        if source is None:
            return ArchivePlan(index, "bare_xml", ("bmc",), "xml")
        return ArchivePlan(index, layout, _base_plan(seed, source).styles, "xml", copy_of=source)
    if layout == "bare_xml":
        return ArchivePlan(
            index, layout, (rng.choice(["bmc", "plos", "elsevier"]),), "xml", frozenset(features)
        )
    if layout == "multi_article_zip":
        return ArchivePlan(
            index, layout, ("scielo",) * rng.randint(2, 4), "zip", frozenset(features), with_pmcid=False
        )
    if layout == "meca_zip":
        return ArchivePlan(index, layout, ("biorxiv",), "zip", frozenset(features), with_pmcid=False)
    if layout == "publisher_zip":
        return ArchivePlan(index, layout, ("generic",), "zip", frozenset(features), with_pmcid=False)
    count = rng.randint(2, 3)
    return ArchivePlan(
        index, layout, tuple(rng.choice(["bmc", "plos", "springer"]) for _ in range(count)), "xml"
    )


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[name] for name in names])[0]


def is_duplicate_source(plan: ArchivePlan) -> bool:
    """Archives whose first figure is a plain RGB JPEG that other archives may copy."""
    return plan.layout == "legacy_package" and plan.styles[0] in ("elsevier", "bmc", "springer")


def _base_plan(seed: int, index: int) -> ArchivePlan:
    """Layout and styles of an archive, without resolving its own sources (no recursion into the past)."""
    positions = _showcase_positions(seed)
    if index in positions:
        return _from_bundle(index, _BUNDLES[positions.index(index)], positions)
    return _random_plan(seed, index, with_sources=False)


def _duplicate_source(seed: int, index: int, rng: random.Random) -> int | None:
    for _ in range(8):
        candidate = rng.randrange(max(0, index - 500), index)
        if is_duplicate_source(_base_plan(seed, candidate)):
            return candidate
    return None


def _copy_source(seed: int, index: int, rng: random.Random) -> int | None:
    for _ in range(8 if index else 0):
        candidate = rng.randrange(max(0, index - 500), index)
        if _base_plan(seed, candidate).layout == "legacy_package":
            return candidate
    return None
