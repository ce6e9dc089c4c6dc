"""One archive in, table rows out: the pure heart of `extract` (no Spark; the UDF only batches it).

An archive is read once: members that can matter (article XML, cloud JSON, images) are kept in memory
for small archives; a large archive is streamed twice by path (XML first, then only the images its
figures reference), so no archive is ever held whole. Everything unusable becomes a quarantine row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from biomedica_spark.archives.layout import find_article_files, find_cloud_metadata
from biomedica_spark.archives.reader import ArchiveContents, ArchiveLimits, read_archive
from biomedica_spark.archives.resolve import MemberIndex, UnsafeHref
from biomedica_spark.images.analyse import analyse_image
from biomedica_spark.images.model import ImageInfo
from biomedica_spark.jats.articles import parse_xml
from biomedica_spark.jats.licenses import license_subset, normalise_license
from biomedica_spark.jats.model import Article, Figure
from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
BARE_XML_SUFFIXES = (".xml", ".nxml")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp", ".webp")
METADATA_SUFFIXES = (".xml", ".nxml", ".json")


@dataclass(frozen=True)
class ExtractSettings:
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    max_xml_bytes: int = 200 * 1024 * 1024
    max_image_pixels: int = 178_956_970
    min_image_side: int = 16
    tables_as_figures: bool = True


@dataclass
class ArchiveInput:
    source_path: str
    size: int
    mtime: dt.datetime
    content: bytes | None  # None: stream from source_path (large archive)
    known_sha256: str | None = None  # content hash recorded the last time this path was processed


@dataclass
class ExplodedArchive:
    source: dict[str, Any]
    articles: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    unchanged: bool = False  # same bytes as last time: nothing to reprocess


def archive_kind(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if lower.endswith(".tar"):
        return "tar"
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(BARE_XML_SUFFIXES):
        return "xml"
    return None


def is_image_member(path: str) -> bool:
    return path.lower().endswith(IMAGE_SUFFIXES)


def explode_archive(item: ArchiveInput, settings: ExtractSettings, run_id: str) -> ExplodedArchive:
    now = dt.datetime.now(dt.timezone.utc)
    if item.content is not None:
        content_sha256: str | None = hashlib.sha256(item.content).hexdigest()
    else:  # one extra sequential read: what lets a later touch of a huge archive skip reprocessing
        content_sha256 = _sha256_of_path(item.source_path) if item.size > 0 else None
    source_row: dict[str, Any] = {
        "source_path": item.source_path,
        "size": item.size,
        "mtime": item.mtime,
        "content_sha256": content_sha256,
        "archive_kind": archive_kind(item.source_path),
        "run_id": run_id,
        "processed_at": now,
    }
    if item.known_sha256 is not None and content_sha256 == item.known_sha256:
        source_row.update(status="unchanged")
        return ExplodedArchive(source=source_row, unchanged=True)

    builder = _RowBuilder(item, run_id, now)
    if source_row["archive_kind"] is None:
        builder.quarantine(
            QuarantineItem(Stage.ARCHIVE, Reason.UNSUPPORTED_ARCHIVE, "not an archive or XML file by name")
        )
    elif item.size == 0:
        builder.quarantine(QuarantineItem(Stage.ARCHIVE, Reason.EMPTY_FILE, "0-byte file"))
    else:
        _explode_contents(item, settings, builder)

    source_row.update(
        articles_found=len(builder.out.articles),
        figures_found=len(builder.out.figures),
        images_found=len(builder.out.images),
        quarantined=len(builder.out.quarantine),
        status=_status(builder.out),
    )
    builder.out.source = source_row
    return builder.out


def _status(out: ExplodedArchive) -> str:
    if not out.quarantine:
        return "ok"
    return "partial" if out.articles else "quarantined"


def _explode_contents(item: ArchiveInput, settings: ExtractSettings, builder: _RowBuilder) -> None:
    source: bytes | str = item.content if item.content is not None else item.source_path
    name = posixpath.basename(item.source_path)
    streamed = item.content is None

    def keep_first_pass(path: str, size: int) -> bool:
        lower = path.lower()
        if lower.endswith(METADATA_SUFFIXES):
            return size <= settings.max_xml_bytes  # a larger one is never read into memory
        return not streamed and is_image_member(lower)

    contents = read_archive(source, name, keep_first_pass, settings.limits)
    for q in contents.quarantine:
        builder.quarantine(q)
    for listed in contents.members:
        if listed.path.lower().endswith(BARE_XML_SUFFIXES) and listed.size > settings.max_xml_bytes:
            detail = f"{listed.size} bytes > limit {settings.max_xml_bytes}: not read"
            builder.quarantine(
                QuarantineItem(Stage.XML, Reason.XML_TOO_LARGE, detail, member_path=listed.path)
            )
    member_names = [m.path for m in contents.members]
    if contents.kind == "xml":  # a bare XML file is the article file by definition: let the parser judge it
        article_files = [m.path for m in contents.members]
    else:
        article_files = find_article_files(contents.members, contents.data.get)
    article_files = [path for path in article_files if path in contents.data]  # oversized ones were not read
    if not article_files:
        if contents.members and not builder.out.quarantine:
            builder.quarantine(
                QuarantineItem(Stage.ARCHIVE, Reason.NO_ARTICLE, "no article XML among the members")
            )
        return

    cloud_by_pmcid = _cloud_metadata(contents, builder)
    has_media = any(is_image_member(m) for m in member_names)
    index = MemberIndex(member_names)
    parsed: list[tuple[str, Article]] = []
    for member in article_files:
        # The PMCID fallback reads names: the member path (`PMC123/main.nxml`), and for an archive
        # holding one article file, the archive's own name (`PMC123.tar.gz`) too.
        names = member if len(article_files) > 1 or contents.kind == "xml" else f"{name}/{member}"
        result = parse_xml(contents.data[member], names, settings.max_xml_bytes)
        for q in result.quarantine:
            builder.quarantine(q, member_path=member)
        parsed.extend((member, article) for article in result.articles)

    wanted: dict[tuple[str, int], str] = {}  # (article key, ordinal) -> resolved member
    for member, article in parsed:
        for figure in article.figures:
            if figure.kind == "table" and not settings.tables_as_figures:
                continue
            resolved = index.resolve(figure.graphic_href, member)
            if isinstance(resolved, str):
                wanted[(article.article_key, figure.ordinal)] = resolved
            elif isinstance(resolved, UnsafeHref):  # never resolved, whatever the archive holds
                builder.quarantine(
                    QuarantineItem(
                        Stage.FIGURE,
                        resolved.reason,
                        resolved.detail,
                        member_path=member,
                        item=figure.graphic_href,
                        pmcid=article.pmcid,
                    )
                )
            elif has_media:  # a bare XML has no media by nature: nothing is missing there
                builder.quarantine(
                    QuarantineItem(
                        Stage.FIGURE,
                        Reason.HREF_NOT_FOUND,
                        f"no archive member for href {figure.graphic_href!r}",
                        member_path=member,
                        item=figure.graphic_href,
                        pmcid=article.pmcid,
                    )
                )

    image_data = contents.data
    if streamed and wanted:
        needed = set(wanted.values())
        second = read_archive(source, name, lambda path, size: path in needed, settings.limits)
        image_data = second.data
    analysed = _analyse_images(set(wanted.values()), image_data, settings, builder)

    for member, article in parsed:
        cloud = cloud_by_pmcid.get(article.pmcid or "")
        if cloud is None and len(cloud_by_pmcid) == 1 and len(parsed) == 1:
            cloud = next(iter(cloud_by_pmcid.values()))  # one article, one JSON: they belong together
        _apply_cloud_metadata(article, cloud)
        builder.article(article, member, has_media, cloud)
        for figure in article.figures:
            if figure.kind == "table" and not settings.tables_as_figures:
                continue
            resolved_member = wanted.get((article.article_key, figure.ordinal))
            info = analysed.get(resolved_member) if resolved_member else None
            builder.figure(article, figure, resolved_member, info.sha256 if info else None)


def _analyse_images(
    members: set[str], data: dict[str, bytes], settings: ExtractSettings, builder: _RowBuilder
) -> dict[str, ImageInfo]:
    analysed: dict[str, ImageInfo] = {}
    for member in sorted(members):
        raw = data.get(member)
        if raw is None:  # the member was quarantined while reading (too large, unsafe)
            continue
        result = analyse_image(raw, max_pixels=settings.max_image_pixels, min_side=settings.min_image_side)
        if isinstance(result, QuarantineItem):
            builder.quarantine(result, member_path=member)
            continue
        analysed[member] = result
        builder.image(result, raw, member)
    return analysed


@dataclass
class CloudMetadata:
    pmcid: str | None
    version: int | None
    license_code: str | None
    is_retracted: bool | None
    is_manuscript: bool | None
    last_modified: dt.datetime | None
    pmid: str | None
    doi: str | None


def _cloud_metadata(contents: ArchiveContents, builder: _RowBuilder) -> dict[str, CloudMetadata]:
    """PMC Cloud JSON members by PMCID (acquire packs one per article version)."""
    found: dict[str, CloudMetadata] = {}
    for member in find_cloud_metadata(contents.members).values():
        if member not in contents.data:  # above the size limit, so never read
            builder.quarantine(
                QuarantineItem(
                    Stage.MEMBER, Reason.METADATA_UNREADABLE, "cloud metadata JSON too large to read"
                ),
                member_path=member,
            )
            continue
        try:
            doc = json.loads(contents.data[member])
            if not isinstance(doc, dict):
                raise ValueError("top level is not an object")
        except ValueError as exc:
            builder.quarantine(
                QuarantineItem(Stage.MEMBER, Reason.METADATA_UNREADABLE, f"cloud metadata JSON: {exc}"),
                member_path=member,
            )
            continue
        metadata = _cloud_fields(doc)
        found[metadata.pmcid or member] = metadata
    return found


def _cloud_fields(doc: dict[str, Any]) -> CloudMetadata:
    pmcid = _text(doc.get("pmcid"))
    if pmcid and not pmcid.upper().startswith("PMC"):
        pmcid = f"PMC{pmcid}"
    return CloudMetadata(
        pmcid=pmcid.upper() if pmcid else None,
        version=_int(doc.get("version")),
        license_code=_text(doc.get("license_code")),
        is_retracted=_bool(doc.get("is_retracted")),
        is_manuscript=_bool(doc.get("is_manuscript")),
        last_modified=_timestamp(doc.get("last_modified") or doc.get("LastModified")),
        pmid=_text(doc.get("pmid")),
        doi=_text(doc.get("doi")),
    )


def _apply_cloud_metadata(article: Article, cloud: CloudMetadata | None) -> None:
    """The JSON that travels with a cloud-layout article is authoritative for licence and ids."""
    if cloud is None or (cloud.pmcid and article.pmcid and cloud.pmcid != article.pmcid):
        return
    if cloud.license_code:
        article.license_code = normalise_license(cloud.license_code)
        article.license_subset = license_subset(article.license_code)
    article.pmid = article.pmid or cloud.pmid
    article.doi = article.doi or cloud.doi


class _RowBuilder:
    def __init__(self, item: ArchiveInput, run_id: str, now: dt.datetime) -> None:
        self.item = item
        self.run_id = run_id
        self.now = now
        self.out = ExplodedArchive(source={})

    def quarantine(self, q: QuarantineItem, member_path: str | None = None) -> None:
        row = q.as_row(self.item.source_path, self.run_id, self.now)
        row["member_path"] = q.member_path or member_path
        self.out.quarantine.append(row)

    def article(self, a: Article, member: str, has_media: bool, cloud: CloudMetadata | None) -> None:
        same = cloud is not None and (not cloud.pmcid or cloud.pmcid == a.pmcid)
        self.out.articles.append(
            {
                "article_key": a.article_key,
                "key_source": a.key_source,
                "pmcid": a.pmcid,
                "pmid": a.pmid,
                "doi": a.doi,
                "version": cloud.version if same and cloud else None,
                "title": a.title,
                "abstract": a.abstract,
                "journal": a.journal,
                "journal_nlm_ta": a.journal_nlm_ta,
                "publisher": a.publisher,
                "pub_date": dt.date.fromisoformat(a.pub_date) if a.pub_date else None,
                "pub_year": a.pub_year,
                "article_type": a.article_type,
                "subjects": a.subjects,
                "keywords": a.keywords,
                "authors": a.authors,
                "license_code": a.license_code,
                "license_url": a.license_url,
                "license_subset": a.license_subset,
                "is_retracted": cloud.is_retracted if same and cloud else None,
                "is_manuscript": cloud.is_manuscript if same and cloud else None,
                "language": a.language,
                "body_text": a.body_text,
                "reference_pmids": a.reference_pmids,
                "reference_dois": a.reference_dois,
                "figure_count": len(a.figures),
                "source_path": self.item.source_path,
                "member_path": member,
                "source_mtime": self.item.mtime,
                "has_media": has_media,
                "json_last_modified": cloud.last_modified if same and cloud else None,
                "xml_sha256": a.xml_sha256,
                "run_id": self.run_id,
            }
        )

    def figure(self, a: Article, f: Figure, resolved: str | None, image_sha256: str | None) -> None:
        self.out.figures.append(
            {
                "article_key": a.article_key,
                "ordinal": f.ordinal,
                "pmcid": a.pmcid,
                "figure_id": f.figure_id,
                "label": f.label,
                "caption": f.caption,
                "caption_title": f.caption_title,
                "graphic_href": f.graphic_href,
                "graphic_index": f.graphic_index,
                "resolved_member": resolved,
                "image_sha256": image_sha256,
                "inline_refs": [
                    {"paragraph": r.paragraph, "section_title": r.section_title, "xref_text": r.xref_text}
                    for r in f.inline_refs
                ],
                "placement": f.placement,
                "fig_group_id": f.fig_group_id,
                "kind": f.kind,
                "fig_type": f.fig_type,
                "sub_article_id": f.sub_article_id,
                "permissions": f.permissions,
                "has_own_permissions": f.permissions is not None,
                "source_path": self.item.source_path,
                "run_id": self.run_id,
            }
        )

    def image(self, info: ImageInfo, raw: bytes, member: str) -> None:
        self.out.images.append(image_row(info, raw, self.item.source_path, member, self.run_id))


def image_row(info: ImageInfo, raw: bytes, source_path: str, member: str, run_id: str) -> dict[str, Any]:
    """An `images` row: the original bytes with what analysis found in them."""
    return {
        "image_sha256": info.sha256,
        "image_bytes": raw,
        "byte_size": len(raw),
        "format": info.format,
        "width": info.width,
        "height": info.height,
        "mode": info.mode,
        "bit_depth": info.bit_depth,
        "exif_orientation": info.exif_orientation,
        "phash64": info.phash64,
        "phash256": info.phash256,
        "info_score": info.info_score,
        "is_near_blank": info.is_near_blank,
        "trimmed_width": info.trimmed_width,
        "trimmed_height": info.trimmed_height,
        "first_source_path": source_path,
        "first_member_path": member,
        "run_id": run_id,
    }


def _sha256_of_path(path: str, chunk: int = 8 * 1024 * 1024) -> str:
    import fsspec

    digest = hashlib.sha256()
    with fsspec.open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: object) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None


def _bool(value: object) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "y")


def _timestamp(value: object) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)
