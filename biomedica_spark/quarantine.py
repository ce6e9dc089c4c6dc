"""Quarantine reason codes: every item the pipeline cannot use gets one of these, never a crash."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Stage(str, Enum):
    ARCHIVE = "archive"  # the archive file itself (gzip, tar, zip)
    MEMBER = "member"  # one member of an archive (unsafe name, link, device, too large)
    XML = "xml"  # an article XML file
    FIGURE = "figure"  # a figure graphic (href not resolvable)
    IMAGE = "image"  # an image member (decode, size)


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


@dataclass(frozen=True)
class QuarantineItem:
    """One unusable input: raised as a value, never as an exception."""

    stage: Stage
    reason: Reason
    detail: str
    member_path: str | None = None
    item: str | None = None  # e.g. figure id or href
    pmcid: str | None = None
