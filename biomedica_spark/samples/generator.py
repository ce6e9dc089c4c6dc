"""Generate a PMC-like landing zone of article archives and its ground truth, byte-identical per seed.

    truth = generate_corpus(Path("demo/landing"), profile="small", archives=40, seed=7)

writes archives under `demo/landing/` (oa_package/, cloud/, publisher/, bulk/, broken/) and the truth
to `demo/landing.truth.json`, beside the landing zone so the zone holds nothing but archives.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from lxml import etree

from biomedica_spark.quarantine import Reason, Stage
from biomedica_spark.samples.article import ArticleRequest, BuiltArticle, build_article
from biomedica_spark.samples.images import ImageSpec, describe, glyph_gif, near_duplicate, render
from biomedica_spark.samples.packing import (
    apple_double,
    link_member,
    office_blob,
    pdf_blob,
    raw_member,
    tar_bytes,
    zip_bytes,
)
from biomedica_spark.samples.plan import ArchivePlan, plan_archive
from biomedica_spark.samples.truth import (
    ArchiveTruth,
    ArticleCopies,
    ArticleTruth,
    BrokenInput,
    CorpusTruth,
    DuplicateGroup,
    DuplicateMember,
    ImageTruth,
    truth_path,
)
from biomedica_spark.samples.xmltree import plain_text

PROFILES = ("small", "realistic")
PARALLEL_THRESHOLD = 2000  # above this many archives, generate with one process per core
MTIME_EPOCH = 1_600_000_000
FILES_PER_FOLDER = 1000
_FOLDER_FANOUT = 64
_LAYOUT_ROOTS = {
    "legacy_package": "oa_package",
    "cloud": "cloud",
    "cloud_version": "cloud",
    "elife_zip": "publisher",
    "publisher_zip": "publisher",
    "multi_article_zip": "publisher",
    "meca_zip": "publisher",
    "bare_xml": "bulk",
    "bare_nxml": "bulk",
    "bulk_copy": "bulk",
    "pmc_articleset": "bulk",
    "europepmc_articles": "bulk",
}
_PMC_ID = re.compile(r"PMC\d+")
MAX_ARCHIVES = 1_120_000  # PMC numbers stay unique up to this many archives
_BROKEN_INDEX = MAX_ARCHIVES  # broken inputs take the numbers after the last regular archive


@dataclass
class _ImageOrigin:
    member: str
    origin: str  # the picture shown, through copies and near-duplicate transforms
    transform: str
    sha256: str


@dataclass
class ArchiveResult:
    """One archive's truth, plus what the corpus-level truth (duplicate groups, copies) is built from."""

    truth: ArchiveTruth
    origins: list[_ImageOrigin]
    copy_source: int | None  # the archive this one repeats an article of


def generate_corpus(
    out_dir: Path,
    *,
    profile: str = "small",
    archives: int = 50,
    seed: int = 0,
    broken: bool = True,
    duplicates: bool = True,
    workers: int | None = None,
) -> CorpusTruth:
    """Write `archives` readable archives (plus broken inputs under broken/) and return the truth.

    `workers` defaults to one per core above PARALLEL_THRESHOLD archives and 1 below; the bytes written
    never depend on it.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    if not 0 <= archives <= MAX_ARCHIVES:
        raise ValueError(f"archives must be between 0 and {MAX_ARCHIVES}")
    out_dir = Path(out_dir).resolve()
    if out_dir.parent == out_dir:
        raise ValueError("the landing zone needs a parent folder to hold its truth file")
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_paths(out_dir)
    jobs = [(str(out_dir), seed, index, profile, duplicates) for index in range(archives)]
    if workers is None:
        workers = (os.cpu_count() or 1) if archives > PARALLEL_THRESHOLD else 1
    if workers > 1:
        # spawn, not fork: callers may hold threads (a Spark driver, py4j) that fork would copy mid-lock.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            results = list(pool.imap(_write_archive, jobs, chunksize=16))
    else:
        results = [_write_archive(job) for job in jobs]
    broken_inputs: list[BrokenInput] = []
    if broken:
        for number, (relative, data, archive_truth, problems) in enumerate(_broken_archives(seed, profile)):
            archive_truth.mtime = _write(out_dir, relative, data, _mtime(seed, -1 - number))
            results.append(ArchiveResult(archive_truth, [], None))
            broken_inputs += problems
    truth = CorpusTruth(
        profile=profile,
        seed=seed,
        archives_requested=archives,
        broken_enabled=broken,
        duplicates_enabled=duplicates,
        landing_dir=out_dir.name,
        archives=[result.truth for result in results],
        duplicate_groups=_duplicate_groups(results),
        article_copies=_article_copies(results),
        broken=broken_inputs,
    )
    target = truth_path(out_dir)
    staging = target.with_name(target.name + ".tmp")
    truth.write(staging)
    os.replace(staging, target)
    for stale in previous - {archive.path for archive in truth.archives}:
        (out_dir / stale).unlink(missing_ok=True)  # left by an earlier, larger run of this generator
    return truth


def _previous_paths(out_dir: Path) -> set[str]:
    path = truth_path(out_dir)
    if not path.exists():
        return set()
    return {archive["path"] for archive in json.loads(path.read_text(encoding="utf-8"))["archives"]}


def _mtime(seed: int, index: int) -> int:
    return MTIME_EPOCH + seed * 86_400 + index


def _write(out_dir: Path, relative: str, data: bytes, mtime: int) -> int:
    path = out_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))  # fixed, so Spark's listing (path, size, mtime) is stable across runs
    return mtime


def _write_archive(job: tuple[str, int, int, str, bool]) -> ArchiveResult:
    out_dir, seed, index, profile, duplicates = job
    relative, data, result = build_archive(seed, index, profile=profile, duplicates=duplicates)
    result.truth.mtime = _write(Path(out_dir), relative, data, _mtime(seed, index))
    return result


def folder_for(index: int) -> str:
    """Two folder levels like PMC's oa_package/<xx>/<yy>/, at most FILES_PER_FOLDER files in each."""
    return f"{index % _FOLDER_FANOUT:02x}/{index // (_FOLDER_FANOUT * FILES_PER_FOLDER):02x}"


def pmc_number(seed: int, index: int, slot: int) -> int:
    """Unique within a corpus of up to MAX_ARCHIVES archives (8 article slots each, 9M numbers)."""
    return 1_000_000 + (seed * 1_048_576 + index * 8 + slot) % 9_000_000


# --- one archive --------------------------------------------------------------------------------------


def build_archive(
    seed: int, index: int, *, profile: str = "small", duplicates: bool = True
) -> tuple[str, bytes, ArchiveResult]:
    """(path relative to the landing zone, file bytes, truth) of archive `index`: a pure function."""
    plan = plan_archive(seed, index, duplicates=duplicates)
    packer = _Packer(seed, plan, profile, duplicates, random.Random(f"archive/{seed}/{index}"))
    name, data = packer.pack()
    relative = f"{_LAYOUT_ROOTS[plan.layout]}/{folder_for(index)}/{name}"
    return relative, data, packer.result(relative, data)


def _request(seed: int, plan: ArchivePlan, slot: int, profile: str, duplicates: bool) -> ArticleRequest:
    if plan.copy_of is not None:
        source = _request(
            seed, plan_archive(seed, plan.copy_of, duplicates=duplicates), slot, profile, duplicates
        )
        return replace(source, version=2) if plan.layout == "cloud_version" else source
    replacements = tuple(
        _planted_copy(seed, source, label, profile) for source, label in plan.duplicate_sources
    )
    return ArticleRequest(
        seed=seed,
        archive_index=plan.index,
        slot=slot,
        style=plan.styles[slot],
        features=plan.features,
        profile=profile,
        pmc_number=pmc_number(seed, plan.index, slot),
        licence=plan.licence(slot),
        with_pmcid=plan.with_pmcid,
        with_doi=plan.with_doi,
        version=1 if plan.layout == "cloud" else None,
        replacements=replacements,
    )


@lru_cache(maxsize=256)
def _planted_copy(seed: int, source: int, label: str, profile: str) -> tuple[ImageSpec, str]:
    """The first figure of archive `source`, copied exactly or through a near-duplicate transform."""
    source_request = _request(seed, plan_archive(seed, source, duplicates=False), 0, profile, False)
    first = next(iter(build_article(source_request).images.values())).spec
    return (first, label) if label == "exact_copy" else (near_duplicate(first, label), label)


class _Packer:
    """Lays one archive out the way its publisher or PMC does and records what it holds."""

    def __init__(
        self, seed: int, plan: ArchivePlan, profile: str, duplicates: bool, rng: random.Random
    ) -> None:
        self.seed, self.plan, self.profile, self.duplicates, self.rng = seed, plan, profile, duplicates, rng
        self.members: dict[str, bytes] = {}
        self.images: dict[str, ImageTruth] = {}
        self.origins: list[_ImageOrigin] = []
        self.articles: list[ArticleTruth] = []
        self.variants: set[str] = set()
        self.archive_name = ""
        # Realistic packages are mostly JPEG and random PDF bytes that deflate cannot shrink: the fastest
        # level gives the same sizes in a fraction of the time.
        self.level = 6 if profile == "small" else 1

    def pack(self) -> tuple[str, bytes]:
        layout = self.plan.layout
        if layout == "legacy_package":
            return self._legacy()
        if layout in ("cloud", "cloud_version"):
            return self._cloud()
        if layout in ("elife_zip", "publisher_zip"):
            return self._flat_zip()
        if layout == "multi_article_zip":
            return self._multi_article_zip()
        if layout == "meca_zip":
            return self._meca()
        return self._bare()

    def result(self, relative: str, data: bytes) -> ArchiveResult:
        truth = ArchiveTruth(
            path=relative,
            kind=archive_kind(relative),
            layout=self.plan.layout,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            mtime=0,
            variants=sorted(self.variants),
            articles=self.articles,
            images=self.images,
        )
        return ArchiveResult(truth, self.origins, self.plan.copy_of)

    # --- layouts ---

    def _article(self, slot: int) -> BuiltArticle:
        return build_article(_request(self.seed, self.plan, slot, self.profile, self.duplicates))

    def _legacy(self) -> tuple[str, bytes]:
        article = self._article(0)
        number = article.pmc_number
        folder = f"PMC{number}/"
        main = article.truth.pmcid is None or self.plan.styles[0] == "elsevier"
        xml_name = "main.nxml" if main else f"{article.stem}.nxml"
        if main:
            self.variants.add("main_nxml")
        self.archive_name = f"PMC{number}.{self.plan.container}"
        self._add_article(article, folder, xml_name, pdf_name="main.pdf" if main else f"{article.stem}.pdf")
        self.variants.add("archive_" + self.plan.container.replace(".", "_"))
        return self.archive_name, tar_bytes(
            self._with_pdf_fill(), compress=self.plan.container != "tar", level=self.level
        )

    def _cloud(self) -> tuple[str, bytes]:
        article = self._article(0)
        truth = article.truth
        version = truth.version or 1
        manuscript = self.plan.layout == "cloud_version"
        prefix = f"PMC{article.pmc_number}.{version}"
        folder = prefix + "/"
        self.archive_name = f"{prefix}.tar.gz"
        self._add_article(article, folder, f"{prefix}.xml", pdf_name=f"{prefix}.pdf")
        self.members[f"{folder}{prefix}.txt"] = (plain_text(article.root) + "\n").encode("utf-8")
        truth.is_manuscript = manuscript
        truth.is_retracted = self.plan.retracted
        self.variants |= {"cloud_layout", "archive_tar_gz"} | ({"cloud_versions"} if manuscript else set())
        if self.plan.retracted:
            self.variants.add("retracted")
        members = self._with_pdf_fill()

        def url(name: str) -> str:
            digest = hashlib.md5(members[folder + name]).hexdigest()  # PMC stamps MD5 in its URLs
            return f"s3://pmc-oa-opendata/{folder}{name}?md5={digest}"

        media = sorted(
            path[len(folder) :]
            for path in members
            if path[len(folder) :] not in (f"{prefix}.xml", f"{prefix}.pdf", f"{prefix}.txt")
        )
        metadata = {
            "pmcid": truth.pmcid,
            "version": version,
            "pmid": truth.pmid,
            "doi": truth.doi,
            "mid": f"NIHMS{article.pmc_number % 1_000_000}" if manuscript else None,
            "title": truth.title,
            "citation": f"{truth.journal}. {truth.pub_year}",
            "is_pmc_openaccess": True,
            "is_manuscript": manuscript,
            "is_historical_ocr": False,
            "is_retracted": self.plan.retracted,
            "license_code": truth.license_code,
            "xml_url": url(f"{prefix}.xml"),
            "text_url": url(f"{prefix}.txt"),
            "pdf_url": url(f"{prefix}.pdf"),
            "media_urls": [url(name) for name in media],
        }
        members[f"{folder}{prefix}.json"] = (json.dumps(metadata, indent=2) + "\n").encode("utf-8")
        return self.archive_name, tar_bytes(members, compress=True, level=self.level)

    def _flat_zip(self) -> tuple[str, bytes]:
        article = self._article(0)
        suffix = "-vor-v1" if self.plan.layout == "elife_zip" else ""
        self.archive_name = f"{article.stem.removesuffix('-v1')}{suffix}.zip"
        self._add_article(article, "", f"{article.stem}.xml", pdf_name=f"{article.stem}.pdf")
        self.variants.add("archive_zip")
        return self.archive_name, zip_bytes(self._with_pdf_fill(), self.level)

    def _multi_article_zip(self) -> tuple[str, bytes]:
        package = f"2318-0889-tinf-{self.plan.index:05d}"
        self.archive_name = f"{package}.zip"
        for slot in range(len(self.plan.styles)):
            article = self._article(slot)
            folder = f"{package}/{article.stem}/"
            self._add_article(article, folder, f"{article.stem}.xml", pdf_name=f"{article.stem}.pdf")
            self.members[f"__MACOSX/{package}/{article.stem}/._{article.stem}.xml"] = apple_double(self.rng)
        self.variants |= {"archive_zip", "multi_article_archive", "macosx_junk"}
        return self.archive_name, zip_bytes(self._with_pdf_fill(), self.level)

    def _meca(self) -> tuple[str, bytes]:
        article = self._article(0)
        stem = article.stem
        self.archive_name = f"medrxiv-{stem}-meca.zip"
        self._add_article(article, "content/", f"{stem}.xml", pdf_name=f"{stem}.pdf")
        items = [
            ("article", f"content/{stem}.xml", "application/xml"),
            ("pdf", f"content/{stem}.pdf", "application/pdf"),
        ]
        items += [("figure", f"content/{name}", "image/tiff") for name in article.images]
        manifest = "".join(
            f'<item type="{kind}" id="{kind}{n}"><instance media-type="{media}" href="{href}"/></item>\n'
            for n, (kind, href, media) in enumerate(items)
        )
        self.members["manifest.xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            '<!DOCTYPE manifest SYSTEM "http://schema.highwire.org/public/MECA/v0.9/Manifest/Manifest.dtd">\n'
            f'<manifest xmlns="http://manuscriptexchange.org" version="1.0">\n{manifest}</manifest>\n'
        ).encode()
        self.members["mimetype"] = b"application/meca+zip"
        self.members["transfer.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<transfer xmlns="http://www.'
            b'manuscriptexchange.org" version="1.0"><source/></transfer>\n'
        )
        self.members["directives.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>\n<directives/>\n'
        self.variants |= {"archive_zip", "meca_manifest"}
        return self.archive_name, zip_bytes(self._with_pdf_fill(), self.level)

    def _bare(self) -> tuple[str, bytes]:
        layout = self.plan.layout
        articles = [self._article(slot) for slot in range(len(self.plan.styles))]
        first = articles[0]
        if layout in ("pmc_articleset", "europepmc_articles"):
            wrapper = "pmc-articleset" if layout == "pmc_articleset" else "articles"
            doctype = (
                '<!DOCTYPE pmc-articleset PUBLIC "-//NLM//DTD ARTICLE SET 2.0//EN" '
                '"https://dtd.nlm.nih.gov/ncbi/pmc/articleset/nlm-articleset-2.0.dtd">\n'
                if layout == "pmc_articleset"
                else ""
            )
            inner = "\n".join(article.xml_body() for article in articles)
            declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
            data = f"{declaration}{doctype}<{wrapper}>\n{inner}\n</{wrapper}>\n".encode()
            prefix = "efetch" if layout == "pmc_articleset" else "europepmc"
            self.archive_name = f"{prefix}-{self.plan.index:07d}.xml"
            self.variants |= {"bare_xml", layout}
        else:
            data = first.xml_bytes()
            extension = "nxml" if layout == "bare_nxml" else "xml"
            self.archive_name = f"PMC{first.pmc_number}.{extension}"
            self.variants.add(f"bare_{extension}")
            if layout == "bulk_copy":
                self.variants.add("bulk_duplicate")
        for article in articles:
            for figure in article.truth.figures:
                figure.resolved_member = None  # no media travels with bare XML
            self._finish_truth(article, self.archive_name, data)  # a bare file is its own only member
        return self.archive_name, data

    # --- members and truth ---

    def _add_article(self, article: BuiltArticle, folder: str, xml_name: str, *, pdf_name: str) -> None:
        xml = article.xml_bytes()
        self.members[folder + xml_name] = xml
        self._add_media(article, folder)
        self.members[folder + pdf_name] = b""  # sized by _with_pdf_fill once all media exist
        for figure in article.truth.figures:
            if figure.resolved_member is not None:
                figure.resolved_member = folder + figure.resolved_member
                image = self.images[figure.resolved_member]
                figure.image_sha256 = image.sha256 if image.decodable else None
        self._finish_truth(article, folder + xml_name, xml)

    def _add_media(self, article: BuiltArticle, folder: str) -> None:
        for planned in article.images.values():
            rendered = render(planned.spec, thumbnail=planned.thumbnail is not None)
            data = rendered.data[: len(rendered.data) * 2 // 5] if planned.corrupt else rendered.data
            path = folder + planned.name
            self.members[path] = data
            sha = hashlib.sha256(data).hexdigest()
            self.images[path] = ImageTruth(
                role=planned.role,
                sha256=sha,
                byte_size=len(data),
                format=rendered.format,
                mode=rendered.mode,
                width=rendered.width,
                height=rendered.height,
                bit_depth=rendered.bit_depth,
                exif_orientation=rendered.exif_orientation,
                decodable=not planned.corrupt,
            )
            origin = "/".join(str(part) for part in planned.spec.origin[1:])
            self.origins.append(_ImageOrigin(path, origin, planned.copy_label or "original", sha))
            if planned.thumbnail and rendered.thumbnail:
                self._add_plain_image(folder + planned.thumbnail, rendered.thumbnail, "thumbnail")
        for glyph in article.glyphs:
            self._add_plain_image(folder + glyph.name, glyph_gif(glyph.key, 60, 18), glyph.role)
        for name in article.supplements:
            size = (
                self.rng.randint(2_000, 6_000)
                if self.profile == "small"
                else self.rng.randint(50_000, 200_000)
            )
            self.members[folder + name] = office_blob(self.rng, size)

    def _add_plain_image(self, path: str, data: bytes, role: str) -> None:
        info = describe(data)
        self.members[path] = data
        self.images[path] = ImageTruth(
            role,
            info.sha256,
            len(data),
            info.format,
            info.mode,
            info.width,
            info.height,
            info.bit_depth,
            info.exif_orientation,
            True,
        )

    def _with_pdf_fill(self) -> dict[str, bytes]:
        """Give every PDF its bytes; realistic packages are topped up to 0.78-1.7 MB, as real ones are."""
        pdfs = [path for path, data in self.members.items() if path.endswith(".pdf") and not data]
        if self.profile == "small":
            sizes = [self.rng.randint(15_000, 35_000) for _ in pdfs]
        else:
            # XML compresses about 4x inside the archive; images and blobs hardly at all.
            others = sum(len(d) // (4 if p.endswith(("xml", ".txt")) else 1) for p, d in self.members.items())
            budget = self.rng.randint(780_000, 1_700_000) - others
            sizes = [min(1_200_000, max(150_000, budget // len(pdfs))) for _ in pdfs] if pdfs else []
        for path, size in zip(pdfs, sizes, strict=True):
            self.members[path] = pdf_blob(self.rng, size)
        return self.members

    def _finish_truth(self, article: BuiltArticle, member_path: str, xml: bytes) -> None:
        truth = article.truth
        truth.member_path = member_path
        named = _PMC_ID.search(member_path) or _PMC_ID.search(self.archive_name)
        variants = set(truth.variants)
        if truth.pmcid:
            truth.article_key, truth.key_source = truth.pmcid, "pmcid"
        elif named:  # a PMC package or file name is the article's PMCID when the XML omits it
            truth.pmcid = truth.article_key = named.group(0)
            truth.key_source = "file_name"
            variants.add("no_pmcid_file_name")
        elif truth.doi:  # DOIs are case-insensitive: keys use the lower-cased form
            truth.article_key, truth.key_source = f"doi:{truth.doi.lower()}", "doi"
        else:
            truth.article_key, truth.key_source = f"xml:{_article_digest(xml)}", "xml_sha256"
        truth.variants = sorted(variants)
        self.articles.append(truth)


def _article_digest(xml: bytes) -> str:
    """sha256 of the <article> element as lxml serialises it: a key that also works for one article
    among several in a file (only single-article files take this fallback here)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    return hashlib.sha256(etree.tostring(root, with_tail=False)).hexdigest()


def archive_kind(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "tar.gz" if name.endswith(".tar.gz") else name.rsplit(".", 1)[-1]


# --- corpus-level truth -------------------------------------------------------------------------------


def _duplicate_groups(results: list[ArchiveResult]) -> list[DuplicateGroup]:
    groups: dict[str, list[DuplicateMember]] = {}
    for result in results:
        for origin in result.origins:
            groups.setdefault(origin.origin, []).append(
                DuplicateMember(result.truth.path, origin.member, origin.transform, origin.sha256)
            )
    return [DuplicateGroup(origin, members) for origin, members in groups.items() if len(members) > 1]


def _article_copies(results: list[ArchiveResult]) -> list[ArticleCopies]:
    by_index = {
        index: result for index, result in enumerate(results) if result.truth.path.split("/")[0] != "broken"
    }
    copies: list[ArticleCopies] = []
    for result in by_index.values():
        source = by_index.get(result.copy_source) if result.copy_source is not None else None
        if source is None:
            continue
        key = result.truth.articles[0].article_key
        reason = "cloud_versions" if result.truth.layout == "cloud_version" else "bulk_and_package"
        # A package with media beats bare XML; the published version beats a later manuscript version.
        copies.append(ArticleCopies(key, reason, [source.truth.path, result.truth.path], source.truth.path))
    return copies


# --- broken inputs ------------------------------------------------------------------------------------


def _broken_archives(seed: int, profile: str) -> list[tuple[str, bytes, ArchiveTruth, list[BrokenInput]]]:
    """Inputs a pipeline must quarantine with a reason, never crash on; all under broken/."""
    out: list[tuple[str, bytes, ArchiveTruth, list[BrokenInput]]] = []

    def package(number: int, features: frozenset[str]) -> tuple[str, bytes, ArchiveResult, _Packer]:
        plan = ArchivePlan(_BROKEN_INDEX + number, "legacy_package", ("elsevier",), "tar.gz", features)
        packer = _Packer(seed, plan, profile, False, random.Random(f"broken/{seed}/{number}"))
        name, data = packer.pack()
        return name, data, packer.result(f"broken/{name}", data), packer

    def unreadable(name: str, data: bytes, layout: str, problem: BrokenInput) -> None:
        truth = ArchiveTruth(
            f"broken/{name}",
            archive_kind(name),
            layout,
            len(data),
            hashlib.sha256(data).hexdigest(),
            0,
            [problem.variant],
            [],
            {},
        )
        out.append((truth.path, data, truth, [problem]))

    name, data, _, _ = package(0, frozenset())
    unreadable(
        name,
        data[: len(data) * 3 // 5],
        "legacy_package",
        BrokenInput(
            f"broken/{name}",
            None,
            None,
            Stage.ARCHIVE.value,
            Reason.CORRUPT_ARCHIVE.value,
            "broken_truncated_gzip",
        ),
    )
    empty = f"PMC{pmc_number(seed, _BROKEN_INDEX + 1, 0)}.tgz"
    unreadable(
        empty,
        b"",
        "legacy_package",
        BrokenInput(
            f"broken/{empty}", None, None, Stage.ARCHIVE.value, Reason.EMPTY_FILE.value, "broken_empty_file"
        ),
    )
    request = ArticleRequest(
        seed, _BROKEN_INDEX + 2, 0, "bmc", frozenset(), profile, pmc_number(seed, _BROKEN_INDEX + 2, 0)
    )
    xml = build_article(request).xml_bytes()
    truncated = f"PMC{request.pmc_number}.xml"
    unreadable(
        truncated,
        xml[: len(xml) // 2],
        "bare_xml",
        BrokenInput(
            f"broken/{truncated}",
            None,
            None,
            Stage.XML.value,
            Reason.XML_SYNTAX.value,
            "broken_truncated_xml",
        ),
    )

    name, data, result, packer = package(3, frozenset({"corrupt_image"}))
    corrupt = next(path for path, image in packer.images.items() if not image.decodable)
    out.append(
        (
            result.truth.path,
            data,
            result.truth,
            [
                BrokenInput(
                    result.truth.path,
                    corrupt,
                    None,
                    Stage.IMAGE.value,
                    Reason.IMAGE_CORRUPT.value,
                    "broken_corrupt_image",
                )
            ],
        )
    )
    name, data, result, packer = package(4, frozenset({"missing_href"}))
    missing = next(f for a in packer.articles for f in a.figures if f.resolved_member is None)
    out.append(
        (
            result.truth.path,
            data,
            result.truth,
            [
                BrokenInput(
                    result.truth.path,
                    None,
                    missing.graphic_href,
                    Stage.FIGURE.value,
                    Reason.HREF_NOT_FOUND.value,
                    "broken_missing_href",
                )
            ],
        )
    )

    name, _, result, packer = package(5, frozenset())
    folder = name.split(".")[0]
    unsafe = f"{folder}/../../../tmp/evil.txt"
    link = f"{folder}/link.jpg"
    data = tar_bytes(
        packer.members,
        compress=True,
        extra=[raw_member(unsafe, b"outside the archive\n"), link_member(link, "/etc/passwd")],
    )
    truth = result.truth
    truth.size, truth.sha256 = len(data), hashlib.sha256(data).hexdigest()
    out.append(
        (
            truth.path,
            data,
            truth,
            [
                BrokenInput(
                    truth.path,
                    unsafe,
                    None,
                    Stage.MEMBER.value,
                    Reason.UNSAFE_MEMBER_PATH.value,
                    "broken_unsafe_member",
                ),
                BrokenInput(
                    truth.path, link, None, Stage.MEMBER.value, Reason.LINK_MEMBER.value, "broken_link_member"
                ),
            ],
        )
    )

    entities = (
        b'<?xml version="1.0"?>\n<!DOCTYPE article [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n'
        b'  <!ENTITY lol "lol">\n  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        b"<article><front><article-meta><title-group><article-title>&xxe; &lol2;</article-title>"
        b"</title-group></article-meta></front></article>\n"
    )
    entity_name = f"PMC{pmc_number(seed, _BROKEN_INDEX + 6, 0)}.xml"
    unreadable(
        entity_name,
        entities,
        "bare_xml",
        BrokenInput(
            f"broken/{entity_name}",
            None,
            None,
            Stage.XML.value,
            Reason.XML_FORBIDDEN.value,
            "broken_xml_entities",
        ),
    )
    oai = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        b'<error code="idDoesNotExist">No matching identifier</error></OAI-PMH>\n'
    )
    unreadable(
        "oai-error.xml",
        oai,
        "bare_xml",
        BrokenInput(
            "broken/oai-error.xml",
            None,
            None,
            Stage.XML.value,
            Reason.XML_NOT_ARTICLE.value,
            "broken_not_article",
        ),
    )
    rng = random.Random(f"broken/{seed}/no-article")
    no_article = zip_bytes(
        {"supplement/mmc1.pdf": pdf_blob(rng, 4_000), "supplement/readme.txt": b"media only\n"}
    )
    unreadable(
        "supplement-only.zip",
        no_article,
        "publisher_zip",
        BrokenInput(
            "broken/supplement-only.zip",
            None,
            None,
            Stage.ARCHIVE.value,
            Reason.NO_ARTICLE.value,
            "broken_no_article",
        ),
    )
    return out
