"""Extract on the real PMC corpus: every file, every figure, compared with what the XML itself says."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

pytestmark = [pytest.mark.spark, pytest.mark.delta, pytest.mark.corpus]

NON_FIGURE_GRAPHIC_ANCESTORS = {"disp-formula", "inline-formula", "chem-struct", "chem-struct-wrap"}


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _strict_parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def _figure_graphics(root: etree._Element) -> Counter[str]:
    """Graphics per kind counted straight from the XML: the yardstick for the job's figures table."""
    counts: Counter[str] = Counter()
    for el in root.iter():
        if _local(el.tag) != "graphic":
            continue
        ancestors = [_local(a.tag) for a in el.iterancestors()]
        if NON_FIGURE_GRAPHIC_ANCESTORS & set(ancestors):
            continue
        if "fig" in ancestors:
            counts["figure"] += 1
        elif ancestors[:1] == ["table-wrap"] or ancestors[:2] == ["alternatives", "table-wrap"]:
            # A table shipped as an image; icons inside table cells are table content, not figures.
            counts["table"] += 1
    return counts


def _article_count(root: etree._Element) -> int:
    if _local(root.tag) == "article":
        return 1 + sum(1 for el in root.iter() if _local(el.tag) == "article" and el is not root)
    return sum(1 for el in root.iter() if _local(el.tag) == "article")


@pytest.fixture(scope="module")
def real_lake(spark, real_corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake

    base = tmp_path_factory.mktemp("real")
    landing = base / "landing"
    shutil.copytree(real_corpus_dir / "nxml", landing / "nxml")
    shutil.copytree(real_corpus_dir / "packages", landing / "packages")
    cfg = load_config([f"landing.root={landing}", f"lake.root={base / 'lake'}", "spark.master='local[2]'"])
    result = run_extract(spark, cfg)
    lake = Lake(spark, cfg)
    tables = {
        name: lake.read(name).drop("image_bytes").toPandas()
        for name in ("sources", "articles", "figures", "images", "quarantine")
    }
    return landing, result, tables


def _rows_for(df, landing: Path, rel: str):  # type: ignore[no-untyped-def]
    return df[df["source_path"].str.endswith("/" + rel)]


def test_every_listed_file_is_a_source(real_lake) -> None:  # type: ignore[no-untyped-def]
    landing, result, tables = real_lake
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))]
    assert len(tables["sources"]) == len(files) == result.listed


def test_every_parseable_article_has_a_row_and_every_strict_failure_is_quarantined(real_lake) -> None:  # type: ignore[no-untyped-def]
    landing, _, tables = real_lake
    articles, quarantine = tables["articles"], tables["quarantine"]
    for path in sorted((landing / "nxml").iterdir()):
        rel = f"nxml/{path.name}"
        data = path.read_bytes()
        root = _strict_parse(data)
        rows_q = _rows_for(quarantine, landing, rel)
        if root is None:
            assert len(rows_q) >= 1, f"{rel} fails strict parsing but has no quarantine row"
            continue
        expected = _article_count(root)
        got = _rows_for(articles, landing, rel)
        if expected:
            # Several files may carry the same article: the row may belong to its other source.
            keys_here = set(got["article_key"])
            assert len(keys_here) == expected or len(got) <= expected, rel
            assert len(got) >= 1 or _article_elsewhere(articles, root), f"{rel}: no article row"


def _article_elsewhere(articles, root) -> bool:  # type: ignore[no-untyped-def]
    dois = {
        (el.text or "").strip().lower()
        for el in root.iter()
        if _local(el.tag) == "article-id" and el.get("pub-id-type") == "doi"
    }
    return bool(dois & set(articles["doi"].dropna().str.lower()))


def test_figure_counts_match_the_xml_for_every_file(real_lake) -> None:  # type: ignore[no-untyped-def]
    landing, _, tables = real_lake
    figures, articles = tables["figures"], tables["articles"]
    checked = 0
    for path in sorted((landing / "nxml").iterdir()):
        rel = f"nxml/{path.name}"
        root = _strict_parse(path.read_bytes())
        if root is None or _article_count(root) == 0:
            continue
        keys = set(_rows_for(articles, landing, rel)["article_key"])
        if not keys:  # the article's current copy came from another file
            continue
        expected = _figure_graphics(root)
        got = Counter(_rows_for(figures, landing, rel)["kind"])
        assert got["figure"] == expected["figure"], f"{rel}: {got} vs xml {expected}"
        assert got["table"] == expected["table"], f"{rel}: {got} vs xml {expected}"
        checked += 1
    assert checked > 200


def test_real_pmc_packages_resolve_every_graphic_to_the_full_size_jpg(real_lake) -> None:  # type: ignore[no-untyped-def]
    landing, _, tables = real_lake
    figures = tables["figures"]
    for name in ("PMC7112410.tar.gz", "PMC7135076.tar.gz", "PMC7159286.tar.gz"):
        rows = _rows_for(figures, landing, f"packages/{name}")
        rows = rows[rows["kind"] == "figure"]
        assert len(rows) >= 1, name
        assert rows["resolved_member"].str.lower().str.endswith(".jpg").all(), rows[
            "resolved_member"
        ].tolist()
        assert rows["image_sha256"].notna().all(), name


def _first_paragraph_words(fig: etree._Element) -> str | None:
    for caption in fig:
        if _local(caption.tag) != "caption":
            continue
        for p in caption.iter():
            if _local(p.tag) == "p":
                # The paragraph's leading text (before any inline markup such as TeX or MathML),
                # compared without whitespace: block boundaries may add a space the raw text lacks.
                words = "".join((p.text or "").split())
                if len(words) >= 12:
                    return words[:40]
    return None


def test_no_caption_is_truncated_to_its_title(real_lake) -> None:  # type: ignore[no-untyped-def]
    """Every caption paragraph in the XML shows up in the extracted caption (real files, every fig)."""
    landing, _, tables = real_lake
    figures = tables["figures"]
    checked = 0
    for path in sorted((landing / "nxml").iterdir()):
        rel = f"nxml/{path.name}"
        root = _strict_parse(path.read_bytes())
        if root is None:
            continue
        rows = _rows_for(figures, landing, rel)
        ids = Counter(rows["figure_id"].dropna())
        # Multi-article files repeat ids (F1 in every article): check only ids unique in the file.
        pairs = zip(rows["figure_id"], rows["caption"], strict=True)
        captions = {fid: cap for fid, cap in pairs if fid and ids[fid] == 1}
        for fig in root.iter():
            if _local(fig.tag) != "fig" or fig.get("id") not in captions:
                continue
            words = _first_paragraph_words(fig)
            if words is None:
                continue
            caption = "".join(captions[fig.get("id")].split())
            assert words in caption, f"{rel} {fig.get('id')}: {words!r} not in {caption[:200]!r}"
            checked += 1
    assert checked > 500


def test_multi_article_files_yield_all_their_articles(real_lake) -> None:  # type: ignore[no-untyped-def]
    landing, _, tables = real_lake
    articles = tables["articles"]
    multi = 0
    for path in sorted((landing / "nxml").iterdir()):
        root = _strict_parse(path.read_bytes())
        if root is None or _article_count(root) < 2:
            continue
        multi += 1
        rel = f"nxml/{path.name}"
        assert len(_rows_for(articles, landing, rel)) == _article_count(root), rel
    assert multi >= 1


def test_images_are_stored_once_per_sha256_with_hashes(real_lake) -> None:  # type: ignore[no-untyped-def]
    _, _, tables = real_lake
    images = tables["images"]
    assert images["image_sha256"].is_unique
    assert images["phash64"].notna().all() and images["width"].gt(0).all()
    figure_shas = set(tables["figures"]["image_sha256"].dropna())
    assert figure_shas <= set(images["image_sha256"])
