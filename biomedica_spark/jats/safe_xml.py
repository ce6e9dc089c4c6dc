"""Parse untrusted XML bytes: no DTD loading, no entity expansion, no network, no exceptions.

Entity and attribute declarations in a DOCTYPE are refused before parsing (XXE, billion laughs,
injected attribute defaults): JATS needs none, its DTDs are only ever referenced. A document that is
not well-formed is quarantined as such and then parsed again in recover mode, so the caller can still
salvage truncated files and files using HTML entities (&nbsp;) that no DTD declares.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from biomedica_spark.quarantine import QuarantineItem, Reason, Stage

_UTF16_STARTS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<")
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_ENCODING_DECLARATION = re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_ASCII_SUPERSETS = frozenset({"utf-8", "ascii", "latin-1"})


@dataclass
class SafeParse:
    root: etree._Element | None  # None when nothing usable could be parsed
    quarantine: list[QuarantineItem] = field(default_factory=list)
    recovered: bool = False  # the strict parse failed: `root` comes from the recovering parse


def parse_secure(data: bytes, file_name: str, max_bytes: int) -> SafeParse:
    """Root element of `data`, or None with the reason in `quarantine`."""
    if not data or data.isspace():
        return _refused(file_name, Reason.EMPTY_FILE, "0 bytes" if not data else "only whitespace")
    if len(data) > max_bytes:
        return _refused(file_name, Reason.XML_TOO_LARGE, f"{len(data)} bytes > limit {max_bytes}")
    decoded = _decoded_for_scan(data)
    if decoded is None:
        return _refused(file_name, Reason.XML_ENCODING, "declared encoding unknown: cannot be checked")
    # The raw bytes are scanned too: libxml2 may ignore a wrong declaration and read them as UTF-8.
    forbidden = forbidden_declaration(data) or (decoded is not data and forbidden_declaration(decoded))
    if forbidden:
        return _refused(file_name, Reason.XML_FORBIDDEN, forbidden)
    strict_parser = _parser(recover=False)
    try:
        return _checked(etree.fromstring(data, strict_parser), file_name, [], recovered=False)
    except etree.XMLSyntaxError as error:
        reason = Reason.XML_ENCODING if _is_encoding_error(strict_parser) else Reason.XML_SYNTAX
        strict_failure = _item(file_name, reason, f"strict parse failed: {error}")
    try:
        recovered = etree.fromstring(data, _parser(recover=True))
    except etree.LxmlError:
        recovered = None
    return _checked(recovered, file_name, [strict_failure], recovered=True)


def _checked(
    root: etree._Element | None, file_name: str, quarantine: list[QuarantineItem], recovered: bool
) -> SafeParse:
    """Refuse entity declarations the scan missed (should Python and libxml2 ever decode differently)."""
    if root is not None:
        internal_subset: Any = root.getroottree().docinfo.internalDTD  # lxml-stubs lack iterentities()
        if internal_subset is not None and any(True for _ in internal_subset.iterentities()):
            quarantine.append(_item(file_name, Reason.XML_FORBIDDEN, "DOCTYPE declares entities"))
            root = None
    return SafeParse(root, quarantine, recovered)


def forbidden_declaration(text: bytes) -> str | None:
    """What makes the DOCTYPE unsafe: entity declarations (XXE, billion laughs) or attribute
    declarations (libxml2 applies their defaults even unvalidated: they could inject an xlink:href)."""
    doctype = text.find(b"<!DOCTYPE")
    if doctype < 0:
        return None
    for keyword, what in ((b"<!ENTITY", "entities"), (b"<!ATTLIST", "attributes")):
        if text.find(keyword, doctype) >= 0:
            return f"DOCTYPE declares {what}"
    return None


def _decoded_for_scan(data: bytes) -> bytes | None:
    """`data` as ASCII-superset bytes, decoded as the parser will decode it (so '+ADw-!ENTITY' in
    UTF-7 reads '<!ENTITY'); None when Python does not know the declared encoding."""
    if data.startswith(_UTF32_BOMS):
        return data.decode("utf-32", "replace").encode("utf-8")
    if data.startswith(_UTF16_STARTS):
        return _decode_utf16(data).encode("utf-8")
    declared = _ENCODING_DECLARATION.match(data)
    if declared is None:
        return data
    try:
        codec = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        return None
    if codec in _ASCII_SUPERSETS or codec.startswith(("iso8859", "cp125")):
        return data
    try:
        return data.decode(codec, "replace").encode("utf-8")
    except (LookupError, TypeError, ValueError):  # a codec that is not a text encoding (rot13, zlib)
        return None


def _decode_utf16(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    return data.decode("utf-16-le" if data.startswith(b"<\x00") else "utf-16-be", "replace")


def _is_encoding_error(parser: etree.XMLParser) -> bool:
    # The parser's log holds this parse only; the exception's log can still carry earlier parses' errors.
    entries = cast(Iterable[Any], parser.error_log)  # lxml-stubs lack its iteration
    return any("ENCODING" in entry.type_name for entry in entries)


_thread_local = threading.local()  # lxml parsers must not be shared between threads


def _parser(recover: bool) -> etree.XMLParser:
    parsers = getattr(_thread_local, "parsers", None)
    if parsers is None:
        parsers = _thread_local.parsers = {flag: _new_parser(recover=flag) for flag in (False, True)}
    return parsers[recover]


def _new_parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,  # keeps libxml2's limits on text node size and nesting depth
        remove_comments=True,
        remove_pis=True,
    )


def _refused(file_name: str, reason: Reason, detail: str) -> SafeParse:
    return SafeParse(None, [_item(file_name, reason, detail)])


def _item(file_name: str, reason: Reason, detail: str) -> QuarantineItem:
    return QuarantineItem(stage=Stage.XML, reason=reason, detail=detail, member_path=file_name)
