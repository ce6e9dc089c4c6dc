"""Which members are article XMLs (nxml, sniffed xml roots, MECA manifests) and cloud metadata members."""

from __future__ import annotations

from biomedica_spark.archives.layout import find_article_files, find_cloud_metadata, xml_root_name
from biomedica_spark.archives.reader import MemberInfo

ARTICLE = b'<?xml version="1.0"?>\n<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "JATS.dtd">\n<article/>'


def layout(files: dict[str, bytes | None]) -> list[str]:
    members = [MemberInfo(path, len(data or b"")) for path, data in files.items()]
    return find_article_files(members, files.get)


def test_nxml_members_are_articles_without_reading_them() -> None:
    assert layout({"PMC1/main.nxml": None, "PMC1/gr1.jpg": b"jpg"}) == ["PMC1/main.nxml"]


def test_xml_members_count_when_their_root_is_article_or_a_wrapper() -> None:
    files = {
        "a.xml": ARTICLE,
        "set.xml": b"<pmc-articleset><article/></pmc-articleset>",
        "europe.xml": b"<?xml version='1.0'?><articles><article/></articles>",
        "ns.xml": b"<jats:article xmlns:jats='x'/>",
        "other.xml": b"<?xml version='1.0'?><directives/>",
        "go.xml": ARTICLE,  # delivery file names are skipped whatever they hold
        "notes.txt": ARTICLE,
    }
    assert layout(files) == ["a.xml", "set.xml", "europe.xml", "ns.xml"]


def test_root_sniff_skips_comments_doctype_subsets_and_handles_utf16() -> None:
    tricky = b'<!-- <article> in a comment --><!DOCTYPE x [<!ENTITY e "v"><!ELEMENT x ANY>]><x/>'
    assert xml_root_name(tricky) == "x"
    utf16 = '\ufeff<?xml version="1.0" encoding="UTF-16"?><article/>'.encode("utf-16")
    assert xml_root_name(utf16) == "article"
    assert xml_root_name(b"<?xml version='1.0'?>") is None


def test_undecidable_xml_is_kept_and_unread_xml_is_left_out() -> None:
    huge_prolog = b"<?xml version='1.0'?><!--" + b"x" * 20_000 + b"--><other/>"
    assert layout({"long.xml": huge_prolog, "absent.xml": None}) == ["long.xml"]


MANIFEST = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE manifest SYSTEM "http://schema.highwire.org/public/MECA/v0.9/Manifest/Manifest.dtd">
<manifest xmlns="http://manuscriptexchange.org" version="1.0">
<item type="article" id="a1">
<instance media-type="application/xml" href="content/24301711.xml"/>
<instance media-type="application/pdf" href="content/24301711.pdf"/>
</item>
<item id="fig1" type="figure"><instance media-type="image/tiff" href="content/fig1.tif"/></item>
</manifest>"""


def test_meca_manifest_names_the_article() -> None:
    files = {
        "manifest.xml": MANIFEST,
        "content/24301711.xml": ARTICLE,
        "content/supplement.xml": ARTICLE,  # an article-rooted XML the manifest does not name
        "content/fig1.tif": b"tif",
    }
    assert layout(files) == ["content/24301711.xml"]


def test_manifest_naming_nothing_present_falls_back_to_the_generic_rules() -> None:
    files = {"manifest.xml": MANIFEST.replace(b"24301711.xml", b"missing.xml"), "content/a.xml": ARTICLE}
    assert layout(files) == ["content/a.xml"]
    assert layout({"manifest.xml": b"not xml <<<", "a.nxml": None}) == ["a.nxml"]


def test_cloud_metadata_is_found_per_article_version() -> None:
    members = [
        MemberInfo("PMC123.2/PMC123.2.xml", 1),
        MemberInfo("PMC123.2/PMC123.2.json", 1),
        MemberInfo("metadata/PMC123.2.json", 1),
        MemberInfo("PMC9.1.json", 1),
        MemberInfo("PMC123.2/other.json", 1),
    ]
    # Two copies of equal length: the first in archive order.
    assert find_cloud_metadata(members) == {"PMC123.2": "PMC123.2/PMC123.2.json", "PMC9.1": "PMC9.1.json"}
