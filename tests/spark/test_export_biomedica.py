"""`export.format=biomedica` end to end: generate -> extract -> dedup -> enrich -> export, read back as
open_clip reads shards, every sample's JSON checked against the BIOMEDICA release's key names and types.

The key/type table below is written from ../shared/docs/BIOMEDICA-SCHEMA.md on purpose, not imported
from the library: it is what a consumer of the release checks.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.delta]

SHARD = 7  # samples per shard: several shards per subset on a small lake

# The release's sample JSON (BIOMEDICA-SCHEMA.md): key -> (type, element type of a list or None).
RELEASE: dict[str, tuple[type, type | None]] = {
    "image_file_name": (str, None),
    "image_cluster_id": (str, None),
    "image_hash": (str, None),
    "image_label_id": (str, None),
    "image_panel_type": (str, None),
    "image_panel_subtype": (str, None),
    "image_primary_label": (list, str),
    "image_secondary_label": (list, str),
    "image_size": (list, int),
    "image_set": (list, str),
    "image_context": (dict, None),
    "article_accession_id": (str, None),
    "article_title": (str, None),
    "article_journal": (str, None),
    "article_date": (str, None),
    "article_abstract": (str, None),
    "article_mesh_terms": (list, str),
    "article_keywords": (list, str),
    "article_reference_ids": (list, str),
    "article_reference_count": (int, None),
    "article_reference_list": (list, None),
    "article_subject": (list, str),
    "article_citation": (str, None),
    "article_license": (str, None),
    "article_text": (str, None),
}
# Added by this project (issue 9): the PMID the release lacks, and the date as ISO text.
ADDED: dict[str, tuple[type, type | None]] = {"article_pmid": (str, None), "article_date_iso": (str, None)}
PANEL_TYPES = {"", "single", "multiple"}
PANEL_SUBTYPES = {
    "",
    "single panel",
    "multiple panels: images",
    "multiple panels: images & plots",
    "multiple panels: images & assays",
}
MESH = (
    ("D006801", "Humans"),
    ("D008099", "Liver"),
    ("D008279", "Magnetic Resonance Imaging"),
    ("D008853", "Microscopy"),
)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A generated lake, enriched from a PubMed file covering every other PMID of its articles (in
    reverse order, one of them with a single MeSH heading)."""
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.enrich.job import run_enrich
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.samples.generator import generate_corpus
    from biomedica_spark.samples.pubmed import PubmedSample, pubmed_file

    base = tmp_path_factory.mktemp("export-biomedica")
    generate_corpus(base / "landing", profile="small", archives=12, seed=11)
    cfg = load_config(
        [
            f"landing.root={base / 'landing'}",
            f"lake.root={base / 'lake'}",
            f"pubmed.root={base / 'pubmed'}",
            "spark.master='local[2]'",
        ]
    )
    run_extract(spark, cfg)
    run_dedup(spark, cfg)
    pmids = sorted(
        r["pmid"]
        for r in spark.read.format("delta").load(str(base / "lake" / "articles")).collect()
        if r["pmid"]
    )
    mesh: dict[str, list[str]] = {}
    records = []
    for i, pmid in enumerate(pmids[::2]):
        headings = [MESH[(i + j) % len(MESH)] for j in range(1 + i % 3)]  # 1, 2 or 3 headings
        mesh[pmid] = [name for _, name in headings]
        records.append(
            PubmedSample(
                pmid, f"PubMed {pmid}", mesh=[(ui, name, j == 0, ()) for j, (ui, name) in enumerate(headings)]
            )
        )
    (base / "pubmed").mkdir()
    (base / "pubmed" / "pubmed26n0001.xml.gz").write_bytes(pubmed_file(reversed(records)))
    run_enrich(spark, cfg)
    return {"base": base, "root": base / "lake", "mesh": mesh}


def _export(spark, lake: dict[str, Any], out: Path, *overrides: str):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.export.job import run_export

    cfg = load_config(
        [
            f"lake.root={lake['root']}",
            f"export.out={out}",
            f"export.samples_per_shard={SHARD}",
            "export.min_image_side=16",
            "export.format=biomedica",
            "spark.master='local[2]'",
            *overrides,
        ]
    )
    return run_export(spark, cfg)


@pytest.fixture(scope="module")
def first(spark, lake: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = lake["base"] / "out"
    return {"out": out, "result": _export(spark, lake, out)}


def _table(spark, lake: dict[str, Any], name: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [
        r.asDict(recursive=True) for r in spark.read.format("delta").load(str(lake["root"] / name)).collect()
    ]


def _read_samples(out: Path, result: Any) -> list[tuple[str, str, Any, str, dict[str, Any]]]:
    """(subset, key, image, caption, json) of every sample: images and captions through exactly
    open_clip's pipeline, key and JSON of the same samples through a second reader of the same URLs."""
    import webdataset as wds

    samples = []
    for subset in result.subsets:
        sizes = json.loads((out / subset.subset / "sizes.json").read_text())
        if not sizes:
            continue
        urls = subset.train_data
        clip = wds.WebDataset(urls).decode("pilrgb").to_tuple("jpg;png;jpeg;webp", "txt")
        metadata = wds.WebDataset(urls).decode().to_tuple("__key__", "json")
        count = 0
        for (image, caption), (key, meta) in zip(clip, metadata, strict=True):
            samples.append((subset.subset, key, image, caption, meta))
            count += 1
        assert count == sum(sizes.values()) == subset.samples
    return samples


def _check_release_shape(meta: dict[str, Any]) -> None:
    expected = {**RELEASE, **ADDED}
    assert set(meta) == set(expected), set(meta) ^ set(expected)
    for key, (kind, element) in expected.items():
        value = meta[key]
        assert type(value) is kind, (key, value)  # `type is`: a bool is no int, an int no str
        if element is not None:
            assert all(type(v) is element for v in value), (key, value)
    assert len(meta["image_size"]) == 2
    assert all(type(k) is str and type(v) is list for k, v in meta["image_context"].items())
    assert all(type(p) is str for v in meta["image_context"].values() for p in v)
    assert meta["image_panel_type"] in PANEL_TYPES and meta["image_panel_subtype"] in PANEL_SUBTYPES
    assert meta["article_date"] == "" or meta["article_date"].isdigit()


def _stem(href: str) -> str:
    """The figure file's stem as the release names it: only an image extension is taken off."""
    base = posixpath.basename(href)
    head, _, extension = base.rpartition(".")
    return head if head and extension.lower() in {"jpg", "jpeg", "png", "gif", "tif", "tiff"} else base


def _paragraphs(refs: list[dict[str, Any]] | None) -> list[str]:
    return [r["paragraph"] for r in refs or () if r["paragraph"]]


def _unix_seconds(day: dt.date) -> str:
    return str(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()))


def test_every_sample_has_the_release_keys_and_types(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    pairs = {p["pair_key"]: p for p in _table(spark, lake, "pairs")}
    articles = {a["article_key"]: a for a in _table(spark, lake, "articles")}
    figures = {(f["article_key"], f["ordinal"]): f for f in _table(spark, lake, "figures")}
    samples = _read_samples(first["out"], first["result"])
    assert len(samples) > 2 * SHARD
    by_key: dict[str, dict[str, Any]] = {}
    for subset, key, image, caption, meta in samples:
        _check_release_shape(meta)
        pair = pairs[key]
        article = articles[pair["article_key"]]
        figure = figures[(pair["article_key"], pair["ordinal"])]
        by_key[key] = meta
        assert subset == pair["license_subset"] and caption == pair["caption"]
        assert meta["article_accession_id"] == (pair["pmcid"] or "")
        assert meta["image_hash"] == pair["image_sha256"]
        assert meta["image_size"] == list(image.size)
        assert meta["article_pmid"] == (article["pmid"] or "")
        day = article["pub_date"]
        assert meta["article_date_iso"] == (day.isoformat() if day else "")
        assert meta["article_date"] == (_unix_seconds(day) if day else "")
        # Only the sample's own figure, and no article text, unless whole_article is asked for.
        file_name = posixpath.basename(figure["resolved_member"] or figure["graphic_href"])
        assert meta["image_file_name"] == file_name and meta["image_set"] == [file_name]
        assert meta["image_cluster_id"] == _stem(figure["graphic_href"])
        assert meta["image_context"] == {meta["image_cluster_id"]: _paragraphs(pair["inline_refs"])}
        assert meta["article_text"] == ""
        assert meta["article_reference_count"] == len(meta["article_reference_ids"])
        references = [*(article["reference_pmids"] or ()), *(article["reference_dois"] or ())]
        assert meta["article_reference_ids"] == references
        # MeSH terms land on their PMIDs (the file held them in another order); one heading stays one.
        assert meta["article_mesh_terms"] == lake["mesh"].get(article["pmid"], [])
    assert sum(bool(m["article_mesh_terms"]) for m in by_key.values()) > 0
    assert any(len(m["article_mesh_terms"]) == 1 for m in by_key.values())
    assert any(not m["article_mesh_terms"] for m in by_key.values())
    assert any(m["article_reference_ids"] for m in by_key.values())
    assert all(m["image_label_id"] == "" and m["image_primary_label"] == [] for m in by_key.values())

    # The sidecar: one row per sample, its key and the JSON's scalar keys.
    for subset in first["result"].subsets:
        folder = first["out"] / subset.subset
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["config"]["format"] == "biomedica"
        assert manifest["config"]["biomedica.whole_article"] is False
        assert set(manifest["input_versions"]) == {"pairs", "articles", "images", "figures"}
        for shard in manifest["shards"]:
            for row in pq.read_table(folder / shard["name"].replace(".tar", ".parquet")).to_pylist():
                meta = by_key[row["key"]]
                assert row["article_pmid"] == meta["article_pmid"]
                assert row["image_file_name"] == meta["image_file_name"]
                assert row["article_reference_count"] == meta["article_reference_count"]
                assert [row["width"], row["height"]] == meta["image_size"]


def test_whole_article_copies_every_figure_and_the_text(spark, lake, first) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.export.state import ExportConflict

    # The content config differs: the first export's folder refuses it, naming the setting.
    with pytest.raises(ExportConflict, match=r"export\.biomedica\.whole_article: False -> True"):
        _export(spark, lake, first["out"], "export.biomedica.whole_article=true")
    with pytest.raises(ExportConflict, match=r"export\.format: 'biomedica' -> 'native'"):
        _export(spark, lake, first["out"], "export.format=native")

    out = lake["base"] / "whole"
    result = _export(spark, lake, out, "export.subsets=[commercial]", "export.biomedica.whole_article=true")
    pairs = {p["pair_key"]: p for p in _table(spark, lake, "pairs")}
    articles = {a["article_key"]: a for a in _table(spark, lake, "articles")}
    figures: dict[str, list[dict[str, Any]]] = {}
    for f in sorted(_table(spark, lake, "figures"), key=lambda f: (f["article_key"], f["ordinal"])):
        figures.setdefault(f["article_key"], []).append(f)
    samples = _read_samples(out, result)
    assert samples
    for _, key, _, _, meta in samples:
        _check_release_shape(meta)
        article = articles[pairs[key]["article_key"]]
        own = figures[article["article_key"]]  # every figure of the article, in document order
        names = [posixpath.basename(f["resolved_member"] or f["graphic_href"]) for f in own]
        assert meta["image_set"] == names and meta["image_file_name"] in names
        assert meta["image_context"] == {_stem(f["graphic_href"]): _paragraphs(f["inline_refs"]) for f in own}
        assert meta["image_cluster_id"] in meta["image_context"]
        assert meta["article_text"] == (article["body_text"] or "")
    assert any(len(m["image_set"]) > 1 for *_, m in samples)
    assert any(m["article_text"] for *_, m in samples)
    assert any(any(m["image_context"].values()) for *_, m in samples)
