"""The PMC Cloud Service layout (2026+, bucket `pmc-oa-opendata`): keys, version JSON, listings, inventory.

One prefix per article version `PMC<id>.<ver>/` (XML, text, PDF, JSON, media); a copy of each version's
JSON at `metadata/PMC<id>.<ver>.json`. File URLs in the JSON carry the file's MD5 (`...?md5=<hex>`).
Everything here is pure parsing: no network.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from biomedica_spark.jats.licenses import license_subset, normalise_license

_VERSION_KEY = re.compile(r"(?:^|/)PMC(\d+)\.(\d+)\.json$", re.IGNORECASE)
_MD5 = re.compile(r"^[0-9a-f]{32}$")


class MetadataError(ValueError):
    """A version JSON (not JSON, not an object, no PMCID or version) or a listing page that cannot be used."""


@dataclass(frozen=True)
class ListedObject:
    """One key of a listing or inventory, with what change detection needs."""

    key: str
    last_modified: dt.datetime | None
    etag: str | None  # without quotes; an MD5 unless the object was a multipart upload
    size: int | None = None


@dataclass(frozen=True)
class CloudFile:
    key: str  # bucket-relative key
    md5: str | None  # from the URL's md5 parameter

    @property
    def name(self) -> str:
        return posixpath.basename(self.key)


@dataclass(frozen=True)
class CloudVersion:
    """What acquire needs from one version's JSON."""

    pmcid: str
    version: int
    license_code: str  # normalised; NO-CC CODE when null
    license_subset: str
    is_open_access: bool
    is_manuscript: bool
    is_retracted: bool
    xml: CloudFile | None
    pdf: CloudFile | None
    media: tuple[CloudFile, ...] = field(default_factory=tuple)


def version_of_key(key: str) -> tuple[str, int] | None:
    """(`PMC<id>`, version) of a `.../PMC<id>.<ver>.json` key; None for any other key."""
    match = _VERSION_KEY.search(key)
    return (f"PMC{int(match.group(1))}", int(match.group(2))) if match else None


def metadata_key(pmcid: str, version: int, prefix: str = "") -> str:
    return f"{prefix}metadata/{pmcid}.{version}.json"


def file_of_url(url: str, bucket: str) -> CloudFile:
    """The bucket key and MD5 of a JSON file URL: `s3://bucket/key?md5=..`, virtual-host or path-style
    `https://` URLs alike."""
    parts = urlsplit(url.strip())
    path = parts.path.lstrip("/")
    if parts.scheme == "https" or parts.scheme == "http":
        if not parts.netloc.startswith(f"{bucket}.") and path.startswith(f"{bucket}/"):
            path = path[len(bucket) + 1 :]
    elif parts.scheme not in ("s3", ""):
        raise MetadataError(f"unsupported URL scheme in {url!r}")
    given = (parse_qs(parts.query).get("md5") or [""])[0].lower()
    md5 = given if _MD5.match(given) else None
    if not path:
        raise MetadataError(f"URL names no key: {url!r}")
    return CloudFile(key=path, md5=md5)


def parse_version_json(data: bytes, bucket: str) -> CloudVersion:
    """Parse one version JSON; raises MetadataError with the reason when it cannot be used."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise MetadataError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise MetadataError("top level is not an object")
    pmcid = _pmcid(doc.get("pmcid"))
    version = _int(doc.get("version"))
    if pmcid is None or version is None:
        raise MetadataError("no pmcid or version")
    code = normalise_license(_text(doc.get("license_code")))
    return CloudVersion(
        pmcid=pmcid,
        version=version,
        license_code=code,
        license_subset=license_subset(code),
        # An explicit false is the only way out of the subset: a missing flag on an old record is not.
        is_open_access=doc.get("is_pmc_openaccess") is not False,
        is_manuscript=bool(doc.get("is_manuscript")),
        is_retracted=bool(doc.get("is_retracted")),
        xml=_file(doc.get("xml_url"), bucket),
        pdf=_file(doc.get("pdf_url"), bucket),
        media=tuple(f for url in doc.get("media_urls") or [] if (f := _file(url, bucket)) is not None),
    )


def with_last_modified(data: bytes, last_modified: dt.datetime | None) -> bytes:
    """The JSON as packed into a landing archive: the object's LastModified added (extract orders versions
    by it, and the JSON alone does not carry it); every other field as fetched."""
    doc = json.loads(data)
    if last_modified is not None and "LastModified" not in doc:
        doc["LastModified"] = last_modified.astimezone(dt.timezone.utc).isoformat()
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def parse_list_bucket_result(xml: bytes) -> tuple[list[ListedObject], str | None]:
    """One page of S3 ListObjectsV2 (the bucket's HTTPS REST answer): objects and the continuation token."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"a listing answer that is not XML: {exc}") from exc
    # Anything else (an <Error>, an HTML index) must not read as an empty listing: absent keys are removals.
    if etree.QName(root).localname != "ListBucketResult":
        raise MetadataError(
            f"a listing answer with root <{etree.QName(root).localname}>, not ListBucketResult"
        )
    objects = [
        ListedObject(
            key=_child_text(item, "Key") or "",
            last_modified=parse_timestamp(_child_text(item, "LastModified")),
            etag=clean_etag(_child_text(item, "ETag")),
            size=_int(_child_text(item, "Size")),
        )
        for item in root.iter("{*}Contents")
    ]
    truncated = (_child_text(root, "IsTruncated") or "").lower() == "true"
    token = _child_text(root, "NextContinuationToken") if truncated else None
    return [o for o in objects if o.key], token


def parse_inventory_manifest(data: bytes) -> tuple[list[str], list[str]]:
    """An S3 inventory `manifest.json`: (data file keys, column names of `fileSchema`)."""
    doc = json.loads(data)
    if str(doc.get("fileFormat", "CSV")).upper() != "CSV":
        raise MetadataError(f"inventory format {doc.get('fileFormat')!r} is not CSV")
    columns = [c.strip() for c in str(doc.get("fileSchema", "")).split(",") if c.strip()]
    if "Key" not in columns:
        raise MetadataError("inventory fileSchema has no Key column")
    return [str(f["key"]) for f in doc.get("files", [])], columns


def parse_inventory_csv(data: bytes, columns: list[str]) -> list[ListedObject]:
    """One inventory data file (gzipped or plain CSV, no header): Bucket, Key, LastModifiedDate, ETag..."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    index = {name: i for i, name in enumerate(columns)}
    out = []
    for row in csv.reader(io.StringIO(data.decode("utf-8"))):
        if len(row) < len(columns):
            continue
        out.append(
            ListedObject(
                key=row[index["Key"]],
                last_modified=parse_timestamp(row[index["LastModifiedDate"]])
                if "LastModifiedDate" in index
                else None,
                etag=clean_etag(row[index["ETag"]]) if "ETag" in index else None,
                size=_int(row[index["Size"]]) if "Size" in index else None,
            )
        )
    return out


def clean_etag(etag: str | None) -> str | None:
    return etag.strip().strip('"').lower() if etag else None


def etag_md5(etag: str | None) -> str | None:
    """The MD5 an ETag stands for: only single-part uploads have one (multipart ETags end in `-<n>`)."""
    return etag if etag and _MD5.match(etag) else None


def parse_timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _file(url: Any, bucket: str) -> CloudFile | None:
    text = _text(url)
    return file_of_url(text, bucket) if text else None


def _pmcid(value: Any) -> str | None:
    text = _text(value)
    match = re.match(r"^(?:PMC)?(\d+)$", text or "", re.IGNORECASE)
    return f"PMC{int(match.group(1))}" if match else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _child_text(element: Any, name: str) -> str | None:
    found = element.find(f"{{*}}{name}")
    return found.text if found is not None else None
