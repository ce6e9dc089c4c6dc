"""The sample corpus generator: deterministic, complete, and truthful about what it wrote."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import imagehash
import pytest
from lxml import etree
from PIL import Image, ImageOps

from biomedica_spark.quarantine import Reason, Stage
from biomedica_spark.samples.article import LICENCES
from biomedica_spark.samples.generator import generate_corpus
from biomedica_spark.samples.plan import LAYOUTS, VARIANTS
from biomedica_spark.samples.truth import ArchiveTruth, CorpusTruth, truth_path

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".xml", ".nxml")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_BLOCKS = {"title", "p", "list", "list-item", "caption", "label"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CorpusTruth]:
    landing = tmp_path_factory.mktemp("seed0") / "landing"
    return landing, generate_corpus(landing, archives=40, seed=0)


def _file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_and_arguments_write_identical_bytes_whatever_the_worker_count(tmp_path: Path) -> None:
    first = generate_corpus(tmp_path / "a" / "landing", archives=24, seed=5)
    generate_corpus(tmp_path / "b" / "landing", archives=24, seed=5, workers=2)

    assert _file_hashes(tmp_path / "a") == _file_hashes(tmp_path / "b")  # archives and truth json
    mtimes = {p.name: p.stat().st_mtime for p in (tmp_path / "a" / "landing").rglob("*") if p.is_file()}
    mtimes_b = {p.name: p.stat().st_mtime for p in (tmp_path / "b" / "landing").rglob("*") if p.is_file()}
    assert mtimes == mtimes_b
    assert len(first.archives) == 24 + len({b.archive for b in first.broken})


def test_a_smaller_corpus_is_a_prefix_of_a_larger_one(tmp_path: Path) -> None:
    small = generate_corpus(tmp_path / "small" / "landing", archives=15, seed=2, broken=False)
    large = generate_corpus(tmp_path / "large" / "landing", archives=30, seed=2, broken=False)

    large_files = _file_hashes(tmp_path / "large" / "landing")
    assert _file_hashes(tmp_path / "small" / "landing").items() <= large_files.items()
    assert [a.sha256 for a in small.archives] == [a.sha256 for a in large.archives[:15]]


def test_a_different_seed_writes_a_different_corpus(tmp_path: Path, corpus: tuple[Path, CorpusTruth]) -> None:
    other = generate_corpus(tmp_path / "landing", archives=40, seed=1, broken=False)
    assert {a.sha256 for a in other.archives}.isdisjoint({a.sha256 for a in corpus[1].archives})


@pytest.mark.parametrize("seed", [0, 7])
def test_every_documented_variant_appears_in_forty_archives(tmp_path: Path, seed: int) -> None:
    truth = generate_corpus(tmp_path / "landing", archives=40, seed=seed)
    assert set(VARIANTS) - truth.variants == set()
    assert truth.variants - set(VARIANTS) == set(), "undocumented variant names"


def test_switching_off_broken_and_duplicates_removes_them(tmp_path: Path) -> None:
    truth = generate_corpus(tmp_path / "landing", archives=40, seed=0, broken=False, duplicates=False)
    assert not truth.broken
    assert not (tmp_path / "landing" / "broken").exists()
    assert not {v for v in truth.variants if v.startswith(("broken_", "dup_"))}


def test_truth_lies_beside_the_landing_zone_which_holds_only_archives(
    corpus: tuple[Path, CorpusTruth],
) -> None:
    landing, truth = corpus
    assert truth_path(landing) == landing.parent / "landing.truth.json"
    assert truth_path(landing).is_file()
    files = [p for p in landing.rglob("*") if p.is_file()]
    assert all(p.name.endswith(ARCHIVE_SUFFIXES) for p in files)
    assert sorted(str(p.relative_to(landing)) for p in files) == sorted(a.path for a in truth.archives)
    assert CorpusTruth.load(truth_path(landing)) == truth


def test_landing_folders_hold_at_most_a_thousand_files(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, _ = corpus
    counts = Counter(p.parent for p in landing.rglob("*") if p.is_file())
    assert max(counts.values()) <= 1000
    assert {p.relative_to(landing).parts[0] for p in counts} <= {
        "oa_package",
        "cloud",
        "publisher",
        "bulk",
        "broken",
    }


def test_recorded_sizes_hashes_and_mtimes_match_the_files(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    for archive in truth.archives:
        path = landing / archive.path
        assert path.stat().st_size == archive.size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == archive.sha256
        assert int(path.stat().st_mtime) == archive.mtime
    assert len({a.mtime for a in truth.archives}) == len(truth.archives)


def _members(landing: Path, archive: ArchiveTruth) -> dict[str, bytes]:
    data = (landing / archive.path).read_bytes()
    if archive.kind == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            return {name: zipped.read(name) for name in zipped.namelist()}
    if archive.kind in ("xml", "nxml"):
        return {archive.path.rsplit("/", 1)[-1]: data}  # a bare file is its own only member
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_every_archive_opens_except_the_broken_ones(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    unreadable = {b.archive for b in truth.broken if b.stage in ("archive", "xml")}
    for archive in truth.archives:
        if archive.path in unreadable:
            continue
        members = _members(landing, archive)
        assert set(archive.images) <= set(members), archive.path
        for article in archive.articles:
            assert article.member_path in members


def test_broken_inputs_carry_quarantine_codes_and_really_are_broken(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    reasons = {r.value for r in Reason}
    stages = {s.value for s in Stage}
    for broken in truth.broken:
        assert broken.archive.startswith("broken/")
        assert broken.reason in reasons and broken.stage in stages
    by_variant = {b.variant: b for b in truth.broken}
    with pytest.raises((EOFError, tarfile.TarError, OSError)):
        _members(landing, truth.archive(by_variant["broken_truncated_gzip"].archive))
    assert (landing / by_variant["broken_empty_file"].archive).stat().st_size == 0
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring((landing / by_variant["broken_truncated_xml"].archive).read_bytes(), _SAFE_PARSER)
    corrupt = by_variant["broken_corrupt_image"]
    image = Image.open(io.BytesIO(_members(landing, truth.archive(corrupt.archive))[str(corrupt.member)]))
    with pytest.raises(OSError):
        image.load()
    missing = by_variant["broken_missing_href"]
    figures = [
        f
        for a in truth.archive(missing.archive).articles
        for f in a.figures
        if f.graphic_href == missing.item
    ]
    assert figures and figures[0].resolved_member is None


def test_images_decode_to_the_recorded_format_mode_and_size(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    seen: Counter[tuple[str | None, str]] = Counter()
    for archive in truth.archives:
        if not archive.images:
            continue
        members = _members(landing, archive)
        for member, expected in archive.images.items():
            data = members[member]
            assert hashlib.sha256(data).hexdigest() == expected.sha256
            if not expected.decodable:
                continue
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                assert (image.format, image.mode, image.size) == (
                    expected.format,
                    expected.mode,
                    (expected.width, expected.height),
                )
                assert image.getexif().get(0x0112) == expected.exif_orientation
                seen[(image.format, image.mode)] += 1
    assert {
        ("JPEG", "RGB"),
        ("JPEG", "L"),
        ("JPEG", "CMYK"),
        ("PNG", "RGB"),
        ("PNG", "RGBA"),
        ("PNG", "P"),
        ("PNG", "I;16"),
        ("TIFF", "RGB"),
        ("GIF", "P"),
    } <= set(seen)


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node: etree._Element) -> str:
    """Independent re-statement of the caption convention: blocks are space-separated, inlines glued."""
    parts = [node.text or ""]
    for child in node:
        inner = _text(child) if isinstance(child.tag, str) else ""
        parts.append(f" {inner} " if _local(child) in _BLOCKS else inner)
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _article_elements(data: bytes) -> list[etree._Element]:
    root = etree.fromstring(data, _SAFE_PARSER)
    return [root] if _local(root) == "article" else [child for child in root if _local(child) == "article"]


def _graphics(article: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    out = []
    for node in article.iter():
        if _local(node) in ("fig", "table-wrap"):
            out += [(node, g) for g in node.iter() if _local(g) == "graphic"]
    return out


def test_truth_matches_the_xml_it_describes(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    unreadable = {b.archive for b in truth.broken if b.stage in ("archive", "xml")}
    xlink = "{http://www.w3.org/1999/xlink}href"
    checked = 0
    for archive in truth.archives:
        if archive.path in unreadable:
            continue
        members = _members(landing, archive)
        by_file: dict[str, list] = {}
        for article in archive.articles:
            by_file.setdefault(article.member_path, []).append(article)
        for member, articles in by_file.items():
            elements = _article_elements(members[member])
            assert len(elements) == len(articles)
            for element, article in zip(elements, articles, strict=True):
                graphics = _graphics(element)
                assert [g.get(xlink) for _, g in graphics] == [f.graphic_href for f in article.figures]
                for (fig, _), figure in zip(graphics, article.figures, strict=True):
                    label = next((c for c in fig if _local(c) == "label"), None)
                    caption = next((c for c in fig if _local(c) == "caption"), None)
                    assert fig.get("id") == figure.figure_id
                    assert (_text(label) if label is not None else None) == figure.label
                    assert (_text(caption) if caption is not None else "") == figure.caption
                    if figure.resolved_member is not None:
                        assert archive.images[figure.resolved_member].role == figure.kind
                    checked += 1
                citing = {
                    (
                        tuple((x.get("rid") or "").split()),
                        _text(x),
                        _text(next(a for a in x.iterancestors() if _local(a) == "p")),
                    )
                    for x in element.iter()
                    if _local(x) == "xref"
                }
                for figure in article.figures:
                    for ref in figure.inline_refs:
                        if "–" in ref.xref_text:  # a figure inside "Figs. 1–3", cited by the range's text
                            assert any(
                                ref.paragraph_contains in p and f"Figs. {ref.xref_text}" in p
                                for *_, p in citing
                            )
                            continue
                        assert any(
                            figure.figure_id in rids
                            and text == ref.xref_text
                            and ref.paragraph_contains in paragraph
                            for rids, text, paragraph in citing
                        ), (figure.figure_id, ref)
    assert checked > 100


def test_captions_keep_words_apart_across_inline_markup(corpus: tuple[Path, CorpusTruth]) -> None:
    captions = [f.caption for a in corpus[1].archives for art in a.articles for f in art.figures]
    assert any("(p < 0.05)" in c for c in captions)
    assert any(re.search(r"\(A\) \w", c) for c in captions)
    assert not any("  " in c or c != c.strip() for c in captions)


def test_article_metadata_is_consistent(corpus: tuple[Path, CorpusTruth]) -> None:
    truth = corpus[1]
    assert {archive.layout for archive in truth.archives} == set(LAYOUTS)
    articles = [a for archive in truth.archives for a in archive.articles]
    for article in articles:
        assert article.license_subset == LICENCES[article.license_code][1]
        assert article.pub_date.startswith(str(article.pub_year))
        assert article.key_source in ("pmcid", "file_name", "doi", "xml_sha256")
        assert all(f.ordinal == i for i, f in enumerate(article.figures))
    repeated = {key for key, n in Counter(a.article_key for a in articles).items() if n > 1}
    assert repeated == {copy.article_key for copy in truth.article_copies}
    for copy in truth.article_copies:
        assert copy.preferred in copy.archives and len(copy.archives) == 2


def test_duplicate_groups_hold_copies_and_near_copies_across_articles(
    corpus: tuple[Path, CorpusTruth],
) -> None:
    truth = corpus[1]
    transforms = Counter(m.transform for g in truth.duplicate_groups for m in g.members)
    assert {
        "original",
        "exact_copy",
        "resave_q60",
        "resave_q90",
        "resize_half",
        "recompress",
        "pad",
        "alternative_rendition",
    } <= set(transforms)
    for group in truth.duplicate_groups:
        assert len(group.members) >= 2
        for member in group.members:
            assert truth.archive(member.archive).images[member.member].sha256 == member.sha256
        originals = {m.sha256 for m in group.members if m.transform == "original"}
        exact = {m.sha256 for m in group.members if m.transform == "exact_copy"}
        assert exact <= originals
        near = {m.sha256 for m in group.members if m.transform not in ("original", "exact_copy")}
        assert near.isdisjoint(originals)


def test_rerunning_smaller_removes_only_files_it_wrote_before(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate_corpus(landing, archives=12, seed=4, broken=False)
    foreign = landing / "keep-me.tar.gz"
    foreign.write_bytes(b"not ours")
    truth = generate_corpus(landing, archives=6, seed=4, broken=False)
    files = {str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()}
    assert files == {a.path for a in truth.archives} | {"keep-me.tar.gz"}


def test_rejects_unknown_profiles(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="profile"):
        generate_corpus(tmp_path / "landing", profile="huge", archives=1)


def _picture_hash(data: bytes) -> imagehash.ImageHash:
    """pHash after the normalisation DESIGN.md prescribes: EXIF, alpha on white, 8-bit, border trim."""
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode == "I;16":
            image = image.point(lambda v: v / 257).convert("L")
        image = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("L")
    ink = image.point(lambda v: 255 if v < 240 else 0).getbbox()
    return imagehash.phash(image.crop(ink) if ink else image)


def test_distinct_figures_hash_apart_and_planted_copies_hash_close(corpus: tuple[Path, CorpusTruth]) -> None:
    landing, truth = corpus
    origin = {(m.archive, m.member): g.origin for g in truth.duplicate_groups for m in g.members}
    hashes: dict[tuple[str, str], imagehash.ImageHash] = {}
    for archive in truth.archives:
        if archive.path.startswith("broken/") or not archive.images:
            continue
        members = _members(landing, archive)
        for member, image in archive.images.items():
            if image.role == "figure" and min(image.width or 0, image.height or 0) >= 64:
                hashes[(archive.path, member)] = _picture_hash(members[member])
    close: list[int] = []
    apart: list[int] = []
    for first, second in itertools.combinations(hashes, 2):
        distance = int(hashes[first] - hashes[second])
        same = first in origin and origin[first] == origin.get(second)
        (close if same else apart).append(distance)
    assert len(hashes) > 50 and len(close) >= 8
    assert max(close) <= 8
    assert min(apart) >= 10
