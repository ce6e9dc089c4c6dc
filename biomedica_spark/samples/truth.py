"""Ground truth of a generated corpus: what a correct pipeline must find, written beside the landing zone.

Field names follow the lake tables (`lake/schemas.py`) where they overlap, so tests compare directly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


@dataclass(slots=True)
class InlineRefTruth:
    xref_text: str  # the xref's own text, e.g. "Fig. 2B" or "1" in "Figs. 1–3"
    paragraph_contains: str  # a substring of the citing paragraph's collapsed text
    section_title: str | None


@dataclass(slots=True)
class FigureTruth:
    ordinal: int  # graphic order in the article (figures and table images, every placement)
    graphic_index: int  # position of the graphic inside its <fig> (several graphics, alternatives)
    figure_id: str | None
    label: str | None
    caption: str  # title then paragraphs, label excluded, whitespace collapsed; "" when no caption
    caption_title: str | None
    graphic_href: str  # exactly as written in the XML
    resolved_member: str | None  # archive member the href must resolve to; None: none exists
    image_sha256: str | None
    placement: str  # body | floats-group | app | boxed-text | sub-article
    kind: str  # figure | table
    fig_type: str | None
    fig_group_id: str | None
    in_fig_group: bool
    sub_article_id: str | None
    has_own_permissions: bool
    inline_refs: list[InlineRefTruth] = field(default_factory=list)


@dataclass(slots=True)
class ArticleTruth:
    article_key: str  # pmcid, else PMC id in the file name, else "doi:<lower-cased doi>", else "xml:<sha256>"
    key_source: str  # pmcid | file_name | doi | xml_sha256
    pmcid: str | None  # "PMC<digits>" from the XML, else from a PMC file name; None when neither has one
    pmid: str | None
    doi: str | None
    version: int | None  # PMC Cloud article version
    title: str
    journal: str
    publisher: str
    pub_year: int
    pub_date: str  # ISO date of the electronic publication (print and collection dates are never earlier)
    license_code: str  # normalised code
    license_url: str | None
    license_subset: str  # commercial | noncommercial | other
    article_type: str
    is_retracted: bool
    is_manuscript: bool
    member_path: str  # the XML member inside the archive; a bare XML file's own name
    reference_pmids: list[str]
    reference_dois: list[str]
    variants: list[str]
    figures: list[FigureTruth]


@dataclass(slots=True)
class ImageTruth:
    role: str  # figure | table | thumbnail | inline | formula
    sha256: str
    byte_size: int
    format: str | None  # as Pillow reports it; None when the bytes do not decode
    mode: str | None
    width: int | None  # as stored, before EXIF rotation
    height: int | None
    bit_depth: int | None
    exif_orientation: int | None
    decodable: bool


@dataclass(slots=True)
class ArchiveTruth:
    path: str  # relative to the landing zone, '/'-separated
    kind: str  # tar.gz | tgz | tar | zip | xml | nxml
    layout: str  # plan.LAYOUTS: legacy_package, cloud, elife_zip, multi_article_zip, bare_xml, ...
    size: int
    sha256: str
    mtime: int  # seconds since the epoch, set on the file
    variants: list[str]
    articles: list[ArticleTruth]
    images: dict[str, ImageTruth]  # member path -> what it holds


@dataclass(slots=True)
class DuplicateMember:
    archive: str
    member: str
    transform: str  # original | exact_copy | resave_q60 | resave_q90 | resize_half | recompress | pad | ...
    sha256: str


@dataclass(slots=True)
class DuplicateGroup:
    origin: str  # identifies the picture every member shows
    members: list[DuplicateMember]


@dataclass(slots=True)
class ArticleCopies:
    """One article arriving from several archives (bare bulk XML and its package; several versions)."""

    article_key: str
    reason: str  # bulk_and_package | cloud_versions
    archives: list[str]
    preferred: str  # the archive whose copy the pipeline must keep as current


@dataclass(slots=True)
class BrokenInput:
    archive: str
    member: str | None
    item: str | None  # e.g. the missing href
    stage: str  # quarantine Stage value
    reason: str  # quarantine Reason value
    variant: str


@dataclass(slots=True)
class CorpusTruth:
    profile: str
    seed: int
    archives_requested: int
    broken_enabled: bool
    duplicates_enabled: bool
    landing_dir: str  # the landing zone's folder name; the truth file sits beside it
    archives: list[ArchiveTruth]
    duplicate_groups: list[DuplicateGroup]
    article_copies: list[ArticleCopies]
    broken: list[BrokenInput]
    schema_version: int = SCHEMA_VERSION

    @property
    def variants(self) -> set[str]:
        found = {variant for archive in self.archives for variant in archive.variants}
        found |= {v for archive in self.archives for article in archive.articles for v in article.variants}
        return found | {broken.variant for broken in self.broken}

    def archive(self, path: str) -> ArchiveTruth:
        return next(archive for archive in self.archives if archive.path == path)

    def write(self, path: Path) -> None:
        """JSON with one row per line: streamed, so a 100,000-archive truth is never copied whole."""
        lists = ("archives", "duplicate_groups", "article_copies", "broken")
        with path.open("w", encoding="utf-8") as out:
            out.write("{\n")
            for name in _SCALARS:
                out.write(f'"{name}": {json.dumps(getattr(self, name), ensure_ascii=False)},\n')
            out.write(f'"variants": {json.dumps(sorted(self.variants))},\n')
            for name in lists:
                out.write(f'"{name}": [')
                for number, row in enumerate(getattr(self, name)):
                    out.write(("," if number else "") + "\n" + json.dumps(asdict(row), ensure_ascii=False))
                out.write("\n]" + (",\n" if name != lists[-1] else "\n"))
            out.write("}\n")

    @classmethod
    def load(cls, path: Path) -> CorpusTruth:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> CorpusTruth:
        return cls(
            profile=payload["profile"],
            seed=payload["seed"],
            archives_requested=payload["archives_requested"],
            broken_enabled=payload["broken_enabled"],
            duplicates_enabled=payload["duplicates_enabled"],
            landing_dir=payload["landing_dir"],
            archives=[_archive(a) for a in payload["archives"]],
            duplicate_groups=[
                DuplicateGroup(g["origin"], [DuplicateMember(**m) for m in g["members"]])
                for g in payload["duplicate_groups"]
            ],
            article_copies=[ArticleCopies(**c) for c in payload["article_copies"]],
            broken=[BrokenInput(**b) for b in payload["broken"]],
            schema_version=payload["schema_version"],
        )


_SCALARS = (
    "schema_version",
    "profile",
    "seed",
    "archives_requested",
    "broken_enabled",
    "duplicates_enabled",
    "landing_dir",
)


def _archive(payload: dict[str, Any]) -> ArchiveTruth:
    articles = [
        ArticleTruth(
            **{
                **article,
                "figures": [
                    FigureTruth(**{**fig, "inline_refs": [InlineRefTruth(**r) for r in fig["inline_refs"]]})
                    for fig in article["figures"]
                ],
            }
        )
        for article in payload["articles"]
    ]
    images = {member: ImageTruth(**image) for member, image in payload["images"].items()}
    return ArchiveTruth(**{**payload, "articles": articles, "images": images})


def truth_path(landing_dir: Path) -> Path:
    """`<parent>/<landing-name>.truth.json`: beside the landing zone, never inside it."""
    return landing_dir.parent / f"{landing_dir.name}.truth.json"
