"""PMC Cloud layout parsing: version keys, JSON, MD5-stamped URLs, S3 listings, inventory."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from biomedica_spark.acquire.cloud import (
    MetadataError,
    etag_md5,
    file_of_url,
    parse_inventory_csv,
    parse_inventory_manifest,
    parse_list_bucket_result,
    parse_version_json,
    version_of_key,
    with_last_modified,
)

BUCKET = "pmc-oa-opendata"
MD5 = "0123456789abcdef0123456789abcdef"


def test_version_keys() -> None:
    assert version_of_key("metadata/PMC176545.2.json") == ("PMC176545", 2)
    assert version_of_key("pfx/metadata/PMC0176545.1.json") == ("PMC176545", 1)
    assert version_of_key("PMC176545.1/PMC176545.1.xml") is None
    assert version_of_key("metadata/readme.json") is None


@pytest.mark.parametrize(
    "url",
    [
        f"s3://{BUCKET}/PMC1.1/PMC1.1.xml?md5={MD5}",
        f"https://{BUCKET}.s3.amazonaws.com/PMC1.1/PMC1.1.xml?md5={MD5.upper()}",
        f"https://s3.us-east-1.amazonaws.com/{BUCKET}/PMC1.1/PMC1.1.xml?md5={MD5}",
    ],
)
def test_file_urls_give_the_key_and_md5(url: str) -> None:
    file = file_of_url(url, BUCKET)
    assert (file.key, file.md5, file.name) == ("PMC1.1/PMC1.1.xml", MD5, "PMC1.1.xml")


def test_a_url_without_md5_has_none_to_check() -> None:
    assert file_of_url(f"s3://{BUCKET}/PMC1.1/a.jpg?md5=nothex", BUCKET).md5 is None


def _doc(**changes: object) -> bytes:
    doc = {
        "pmcid": "PMC1",
        "version": 2,
        "pmid": None,
        "doi": None,
        "is_pmc_openaccess": True,
        "is_manuscript": False,
        "is_retracted": False,
        "license_code": "CC BY-NC-ND",
        "xml_url": f"s3://{BUCKET}/PMC1.2/PMC1.2.xml?md5={MD5}",
        "pdf_url": None,
        "media_urls": [f"s3://{BUCKET}/PMC1.2/f1.jpg?md5={MD5}"],
    }
    doc.update(changes)
    return json.dumps(doc).encode()


def test_version_json_fields() -> None:
    v = parse_version_json(_doc(), BUCKET)
    assert (v.pmcid, v.version, v.license_code, v.license_subset) == (
        "PMC1",
        2,
        "CC BY-NC-ND",
        "noncommercial",
    )
    assert v.is_open_access and not v.is_manuscript and not v.is_retracted
    assert v.xml is not None and v.xml.key == "PMC1.2/PMC1.2.xml" and v.pdf is None
    assert [m.name for m in v.media] == ["f1.jpg"]


def test_null_licence_and_missing_flags() -> None:
    v = parse_version_json(_doc(license_code=None, is_pmc_openaccess=None, pmcid="176545"), BUCKET)
    assert v.pmcid == "PMC176545" and v.license_code == "NO-CC CODE" and v.license_subset == "other"
    assert v.is_open_access  # only an explicit false takes an article out
    assert not parse_version_json(_doc(is_pmc_openaccess=False), BUCKET).is_open_access


@pytest.mark.parametrize(
    ("data", "reason"), [(b"{", "not JSON"), (b"[]", "not an object"), (b"{}", "no pmcid")]
)
def test_unusable_json_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(MetadataError, match=reason):
        parse_version_json(data, BUCKET)


def test_packed_json_gains_last_modified_only_when_absent() -> None:
    when = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
    packed = json.loads(with_last_modified(_doc(), when))
    assert packed["LastModified"] == "2026-03-01T12:00:00+00:00" and packed["license_code"] == "CC BY-NC-ND"
    kept = json.loads(with_last_modified(_doc(LastModified="2020-01-01T00:00:00Z"), when))
    assert kept["LastModified"] == "2020-01-01T00:00:00Z"


def test_list_bucket_result_page() -> None:
    xml = (
        b'<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>"
        b"<Contents><Key>metadata/PMC1.1.json</Key><LastModified>2026-02-01T10:00:00.000Z</LastModified>"
        b"<ETag>&quot;" + MD5.encode() + b"&quot;</ETag><Size>12</Size></Contents></ListBucketResult>"
    )
    objects, token = parse_list_bucket_result(xml)
    assert token == "tok"
    (obj,) = objects
    assert obj.key == "metadata/PMC1.1.json" and obj.etag == MD5 and obj.size == 12
    assert obj.last_modified == dt.datetime(2026, 2, 1, 10, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"<Error><Code>AccessDenied</Code></Error>", "root <Error>"),
        (b"<!DOCTYPE html><html><body><a href='PMC1.1/'>PMC1.1/</a></body></html>", "root <html>"),
        (b"Index of /\n<a href=PMC1.1/>", "not XML"),
    ],
)
def test_an_answer_that_is_not_a_listing_is_never_an_empty_page(answer: bytes, reason: str) -> None:
    with pytest.raises(MetadataError, match=reason):
        parse_list_bucket_result(answer)


def test_inventory_manifest_and_gzipped_csv_part() -> None:
    manifest = json.dumps(
        {
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag",
            "files": [{"key": "inv/data/part-1.csv.gz"}],
        }
    ).encode()
    keys, columns = parse_inventory_manifest(manifest)
    assert keys == ["inv/data/part-1.csv.gz"] and columns == [
        "Bucket",
        "Key",
        "Size",
        "LastModifiedDate",
        "ETag",
    ]
    part = gzip.compress(
        f'"{BUCKET}","metadata/PMC1.1.json","12","2026-02-01T10:00:00.000Z","{MD5}"\n'.encode()
    )
    (obj,) = parse_inventory_csv(part, columns)
    assert (obj.key, obj.etag, obj.size) == ("metadata/PMC1.1.json", MD5, 12)
    with pytest.raises(MetadataError):
        parse_inventory_manifest(json.dumps({"fileFormat": "ORC", "fileSchema": "Key"}).encode())


def test_multipart_etags_are_not_md5s() -> None:
    assert etag_md5(MD5) == MD5
    assert etag_md5(MD5 + "-3") is None and etag_md5(None) is None
