"""Which members of an archive are article XMLs, and where cloud-layout metadata sits.

Rules (DESIGN.md, "Sources"):
- a MECA zip names its article in `manifest.xml` (`item[@type="article"]/instance/@href`): that wins;
- otherwise every `.nxml` member is an article, and so is every `.xml` member whose root element, after
  the XML declaration, comments and DOCTYPE, is `article` or one of the wrappers `pmc-articleset` /
  `articles`, judged from its first 16 KB. An `.xml` member whose root cannot be seen there is kept (the
  JATS parser decides); one whose bytes were not kept cannot be parsed and is left out.
- PMC Cloud packages carry `PMC<id>.<ver>.json` metadata beside the XML: `find_cloud_metadata`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable

from lxml import etree

from biomedica_spark.archives.reader import MemberInfo, normalise_member_path

DataReader = Callable[[str], bytes | None]  # member path -> its bytes, None when they were not kept

ARTICLE_ROOTS = frozenset({"article", "pmc-articleset", "articles"})
MECA_MANIFEST = "manifest.xml"
# Delivery files that are XML but never articles: skipped without reading them.
NON_ARTICLE_XML = frozenset({"manifest.xml", "go.xml", "directives.xml", "transfer.xml"})
_SNIFF_BYTES = 16 * 1024
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_FIRST_ELEMENT = re.compile(r"<(?![?!])([A-Za-z_][\w.:-]*)")  # declarations, PIs and DOCTYPE start <? / <!
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_CLOUD_METADATA = re.compile(r"(?:^|/)(PMC\d+\.\d+)\.json$", re.IGNORECASE)


def find_article_files(members: list[MemberInfo], data_reader: DataReader) -> list[str]:
    """Paths of the members holding article XML, in archive order."""
    paths = [member.path for member in members]
    if MECA_MANIFEST in paths:
        named = _meca_articles(data_reader(MECA_MANIFEST), set(paths))
        if named:
            return named
    return [path for path in paths if _is_article_xml(path, data_reader)]


def find_cloud_metadata(members: Iterable[MemberInfo]) -> dict[str, str]:
    """`PMC<id>.<ver>` -> path of its `.json` metadata member; of several copies the shortest path, then
    the first."""
    found: dict[str, str] = {}
    for member in members:
        match = _CLOUD_METADATA.search(member.path)
        if match is None:
            continue
        version_id = match.group(1).upper()
        if version_id not in found or len(member.path) < len(found[version_id]):
            found[version_id] = member.path
    return found


def xml_root_name(head: bytes) -> str | None:
    """Local name of the root element found in the first bytes of an XML document, None if not seen."""
    text = _COMMENT.sub("", _decode_head(head[:_SNIFF_BYTES]))
    match = _FIRST_ELEMENT.search(text)
    return match.group(1).rpartition(":")[2] if match else None


def _is_article_xml(path: str, data_reader: DataReader) -> bool:
    lowered = path.lower()
    if lowered.endswith(".nxml"):
        return True
    if not lowered.endswith(".xml") or posixpath.basename(lowered) in NON_ARTICLE_XML:
        return False
    data = data_reader(path)
    if data is None:
        return False
    root = xml_root_name(data)
    return root is None or root in ARTICLE_ROOTS


def _meca_articles(manifest: bytes | None, present: set[str]) -> list[str]:
    """Article XML hrefs of a MECA manifest that exist in the archive (hrefs are relative to its root)."""
    if not manifest:
        return []
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(manifest, parser)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    named: list[str] = []
    for item in root.iter("{*}item"):
        if item.get("type") != "article":
            continue
        for instance in item.iter("{*}instance"):
            href = instance.get("href") or instance.get(_XLINK_HREF) or ""
            path = normalise_member_path(href)
            if path and path.lower().endswith((".xml", ".nxml")) and path in present and path not in named:
                named.append(path)
    return named


def _decode_head(head: bytes) -> str:
    """Enough decoding to find an ASCII tag name: UTF-16 by BOM or NUL pattern, anything else byte-wise."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return head.decode("utf-16-le", "ignore")
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return head.decode("utf-16-be", "ignore")
    return head.decode("latin-1")
