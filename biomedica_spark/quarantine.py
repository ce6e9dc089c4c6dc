"""Quarantine reason codes: every item the pipeline cannot use gets one of these, never a crash."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Stage(str, Enum):
    ARCHIVE = "archive"  # the archive file itself (gzip, tar, zip)
    MEMBER = "member"  # one member of an archive (unsafe name, link, device, too large)
    XML = "xml"  # an article XML file
    FIGURE = "figure"  # a figure graphic (href not resolvable)
    IMAGE = "image"  # an image member (decode, size)
    ACQUIRE = "acquire"  # what a server said about the articles (file list rows, version JSON)
    EXPORT = "export"  # a pair the export could not write (its image bytes missing or unreadable)
    EMBED = "embed"  # annotate: a cluster representative that could not be embedded
    LABELS = "labels"  # annotate: a row of an imported expert-label CSV


class Reason(str, Enum):
    EMPTY_FILE = "empty_file"
    CORRUPT_ARCHIVE = "corrupt_archive"  # truncated gzip, bad tar/zip structure
    UNSUPPORTED_ARCHIVE = "unsupported_archive"
    ARCHIVE_TOO_LARGE = "archive_too_large"
    TOO_MANY_MEMBERS = "too_many_members"
    MEMBER_TOO_LARGE = "member_too_large"  # inflated size above the bound (gzip/zip bombs)
    COMPRESSION_RATIO = "compression_ratio"
    UNSAFE_MEMBER_PATH = "unsafe_member_path"  # absolute, '..', drive letters
    LINK_MEMBER = "link_member"  # symlink or hard link: never followed
    SPECIAL_MEMBER = "special_member"  # device, fifo
    DUPLICATE_MEMBER = "duplicate_member"
    XML_SYNTAX = "xml_syntax"  # strict parse failed (recovering parse may still salvage articles)
    XML_FORBIDDEN = "xml_forbidden"  # DTD internal subset / entity declarations / external entities
    XML_TOO_LARGE = "xml_too_large"
    XML_NOT_ARTICLE = "xml_not_article"  # parses, but holds no JATS <article>
    XML_ENCODING = "xml_encoding"
    HREF_NOT_FOUND = "href_not_found"  # figure graphic href matches no archive member
    HREF_UNSAFE = "href_unsafe"  # href escapes the archive ('../../etc/passwd')
    IMAGE_CORRUPT = "image_corrupt"
    IMAGE_TOO_LARGE = "image_too_large"  # decompression-bomb guard (pixels)
    IMAGE_UNSUPPORTED = "image_unsupported"  # not a raster image (SVG, EPS, PDF named .jpg)
    NO_ARTICLE = "no_article"  # an archive holding no article XML at all
    METADATA_UNREADABLE = "metadata_unreadable"  # a PMC Cloud JSON member that does not parse
    FILE_LIST_ROW = "file_list_row"  # an oa_file_list.csv row that cannot be used (bad id, path or date)
    IMAGE_MISSING = "image_missing"  # export: the pair's image has no bytes in `images`
    LABEL_INVALID = "label_invalid"  # annotate: a label naming concepts or clusters that do not exist


@dataclass(frozen=True)
class QuarantineItem:
    """One unusable input: raised as a value, never as an exception."""

    stage: Stage
    reason: Reason
    detail: str
    member_path: str | None = None
    item: str | None = None  # e.g. figure id or href
    pmcid: str | None = None

    def as_row(self, source_path: str, run_id: str, recorded_at: dt.datetime) -> dict[str, Any]:
        """The `quarantine` table row for this item, found in `source_path`."""
        return {
            "source_path": source_path,
            "member_path": self.member_path,
            "pmcid": self.pmcid,
            "item": self.item,
            "stage": self.stage.value,
            "reason_code": self.reason.value,
            "detail": self.detail[:2000],
            "run_id": run_id,
            "recorded_at": recorded_at,
        }
