"""The dedup job end to end on small Delta tables: clusters, pairs, re-runs, incremental additions.

One lake is built and the job run three times (first run, unchanged re-run, new images + a removed
figure); the tests read the snapshots taken after each run. Hashes are synthetic and planted so that
every rule is hit; the real-figure test hashes real corpus images with the extract stage's analysis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from pathlib import Path
from typing import Any

import pytest

from biomedica_spark.dedup.banding import to_signed

pytestmark = [pytest.mark.spark, pytest.mark.delta]

RNG = random.Random(20261128)


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def base64() -> int:
    return to_signed(RNG.getrandbits(64))


def base256() -> bytes:
    return bytes(RNG.getrandbits(8) for _ in range(32))


def flip(value: int, bits: range | list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return to_signed(value & ((1 << 64) - 1))


def flip256(value: bytes, bits: range | list[int]) -> bytes:
    out = bytearray(value)
    for bit in bits:
        out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


A, PA = base64(), base256()
C, PC = base64(), base256()
L, PL = base64(), base256()
D1, PD1 = base64(), base256()
D2, PD2 = flip(D1, range(10, 24)), flip256(PD1, range(100, 140))  # 14 / 40 bits from D1: apart

FIRST_IMAGES: dict[str, dict[str, Any]] = {
    "A1": {"h": A, "p": PA},
    "A2": {"h": flip(A, [1, 2, 3]), "p": flip256(PA, range(10)), "trimmed": (800, 600)},
    "C1": {"h": C, "p": PC},
    "C2": {"h": flip(C, range(6)), "p": flip256(PC, range(20))},
    "C3": {"h": flip(C, range(12)), "p": flip256(PC, range(40))},  # 12 bits from C1: a chain
    "X": {"h": base64(), "p": base256()},
    "B1": {"h": A, "p": PA, "blank": True, "info": 0.0},  # near-blank with A1's very hashes
    "B2": {"h": A, "p": PA, "blank": True, "info": 0.0},
    "S": {"h": flip(A, [5]), "p": PA, "trimmed": (300, 20)},  # too small to hash meaningfully
    "L1": {"h": L, "p": PL, "info": 0.1},
    "L2": {"h": flip(L, [1, 2]), "p": flip256(PL, range(100, 156)), "info": 0.1},  # 56 bits: line art says no
    "L3": {"h": flip(L, [3]), "p": flip256(PL, range(40)), "info": 0.1},
    "U": {"h": None, "p": None},
    "D1a": {"h": D1, "p": PD1},
    "D1b": {"h": flip(D1, [0, 1]), "p": flip256(PD1, range(8))},
    "D2a": {"h": D2, "p": PD2},
    "D2b": {"h": flip(D2, [0, 1]), "p": flip256(PD2, range(8))},
    "N": {"h": base64(), "p": base256()},
}
NEW_IMAGES: dict[str, dict[str, Any]] = {
    "A3": {"h": flip(A, [1, 2, 3, 4]), "p": flip256(PA, range(12))},
    "M": {"h": flip(D1, range(10, 17)), "p": flip256(PD1, range(100, 120))},  # 7 / 20 bits from both D's
}
ARTICLES = {  # article key -> (licence subset, publication date, retracted)
    "PMC100": ("noncommercial", dt.date(2010, 1, 1), False),
    "PMC200": ("commercial", dt.date(2015, 6, 1), False),
    "PMC300": ("commercial", dt.date(2012, 1, 1), False),
    "PMC400": ("other", dt.date(2011, 1, 1), False),
    "PMC500": ("commercial", dt.date(2020, 1, 1), False),
    "PMC600": ("commercial", dt.date(2000, 1, 1), True),
    "10.1234/journal.x.7": ("other", dt.date(2021, 1, 1), False),
}
FIGURES = [  # (article key, ordinal, image, caption)
    ("PMC100", 1, "A1", "Figure 1. Cells under stress."),
    ("PMC200", 1, "A2", "Fig. 3: cells  under stress."),
    ("PMC300", 1, "X", "An exact copy"),
    ("PMC400", 2, "X", "Figure 2. An exact copy"),
    ("PMC500", 1, "C1", "Chain one"),
    ("PMC500", 2, "C2", "Chain two"),
    ("PMC500", 3, "C3", "Chain one"),
    ("PMC600", 1, "D1a", "D"),
    ("10.1234/journal.x.7", 1, "D1b", "D"),
    ("PMC100", 2, "B1", "blank"),
    ("PMC200", 2, "B2", "blank"),
    ("PMC100", 3, None, "a figure whose graphic did not resolve"),
]


def image_row(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    width, height = spec.get("trimmed", (640, 480))
    return {
        "image_sha256": sha(name),
        "image_bytes": None,
        "byte_size": 1000,
        "format": "PNG",
        "width": width,
        "height": height,
        "mode": "RGB",
        "bit_depth": 8,
        "exif_orientation": None,
        "phash64": spec["h"],
        "phash256": spec["p"],
        "info_score": spec.get("info", 0.5),
        "is_near_blank": spec.get("blank", False),
        "trimmed_width": width,
        "trimmed_height": height,
        "first_source_path": "s",
        "first_member_path": name,
        "run_id": "test",
    }


def figure_row(article_key: str, ordinal: int, image: str | None, caption: str) -> dict[str, Any]:
    return {
        "article_key": article_key,
        "ordinal": ordinal,
        "pmcid": article_key if article_key.startswith("PMC") else None,
        "figure_id": f"fig{ordinal}",
        "label": None,
        "caption": caption,
        "caption_title": None,
        "graphic_href": "g",
        "graphic_index": 0,
        "resolved_member": "m",
        "image_sha256": sha(image) if image else None,
        "inline_refs": [
            {"paragraph": "As shown", "section_title": "Results", "xref_text": f"Fig. {ordinal}"}
        ],
        "placement": "body",
        "fig_group_id": None,
        "kind": "figure",
        "fig_type": None,
        "sub_article_id": None,
        "permissions": None,
        "has_own_permissions": False,
        "source_path": "s",
        "run_id": "test",
    }


def append(spark, lake, table: str, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.lake.schemas import ddl

    schema = spark.createDataFrame([], ddl(table)).schema
    lake.append(
        table,
        spark.createDataFrame([{f.name: row.get(f.name) for f in schema.fields} for row in rows], schema),
    )


def snapshot(lake) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "clusters": {r["image_sha256"]: r.asDict() for r in lake.read("image_clusters").collect()},
        "pairs": {r["pair_key"]: r.asDict() for r in lake.read("pairs").collect()},
        "merges": [r.asDict() for r in lake.read("cluster_merges").collect()],
        "versions": lake.versions(["image_clusters", "pairs", "cluster_merges"]),
        "runs": [r.asDict() for r in lake.read("runs").orderBy("started_at").collect()],
    }


@pytest.fixture(scope="module")
def runs(spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.lake.delta_io import Lake

    root = tmp_path_factory.mktemp("dedup")
    cfg = load_config([f"lake.root={root / 'lake'}", "spark.master='local[2]'"])
    lake = Lake(spark, cfg)
    lake.ensure(["images", "figures", "articles"])
    append(spark, lake, "images", [image_row(n, s) for n, s in FIRST_IMAGES.items()])
    append(spark, lake, "figures", [figure_row(*f) for f in FIGURES])
    append(
        spark,
        lake,
        "articles",
        [
            {
                "article_key": k,
                "pmcid": k if k.startswith("PMC") else None,
                "license_subset": s,
                "pub_date": d,
                "is_retracted": r,
            }
            for k, (s, d, r) in ARTICLES.items()
        ],
    )
    first = run_dedup(spark, cfg)
    after_first = snapshot(lake)
    run_dedup(spark, cfg)
    after_rerun = snapshot(lake)
    append(spark, lake, "images", [image_row(n, s) for n, s in NEW_IMAGES.items()])
    append(spark, lake, "figures", [figure_row("PMC700", 1, "M", "The bridge")])
    lake.delete_matching(
        "figures",
        spark.createDataFrame([("PMC500", 3)], "article_key string, ordinal int"),
        "t.article_key = s.article_key AND t.ordinal = s.ordinal",
    )
    third = run_dedup(spark, cfg)
    return {
        "cfg": cfg,
        "lake": lake,
        "first": after_first,
        "rerun": after_rerun,
        "third": snapshot(lake),
        "report": first.report,
        "third_report": third.report,
    }


def cluster_of(snap: dict[str, Any], name: str) -> str:
    return str(snap["clusters"][sha(name)]["cluster_id"])


def test_every_image_gets_one_row(runs) -> None:  # type: ignore[no-untyped-def]
    assert set(runs["first"]["clusters"]) == {sha(n) for n in FIRST_IMAGES}
    assert set(runs["third"]["clusters"]) == {sha(n) for n in {**FIRST_IMAGES, **NEW_IMAGES}}


def test_near_duplicates_cluster_with_distance_and_largest_representative(runs) -> None:  # type: ignore[no-untyped-def]
    first = runs["first"]
    a1, a2 = first["clusters"][sha("A1")], first["clusters"][sha("A2")]
    assert a1["cluster_id"] == a2["cluster_id"] == min(sha("A1"), sha("A2"))
    assert a1["cluster_size"] == 2 and a1["representative_sha256"] == sha("A2")  # 800x600 beats 640x480
    assert (a1["join_reason"], a1["distance"], a1["distance256"], a1["nearest_sha256"]) == (
        "perceptual",
        3,
        10,
        sha("A2"),
    )


def test_chain_ends_beyond_the_threshold_share_one_cluster(runs) -> None:  # type: ignore[no-untyped-def]
    first = runs["first"]
    assert cluster_of(first, "C1") == cluster_of(first, "C2") == cluster_of(first, "C3")
    assert first["clusters"][sha("C1")]["distance"] == 6  # its only verified neighbour is C2


def test_gated_images_stay_exact_only(runs) -> None:  # type: ignore[no-untyped-def]
    first = runs["first"]
    for name in ("B1", "B2", "S"):  # B1/B2 carry A1's exact hashes; S is one bit away but tiny
        row = first["clusters"][sha(name)]
        assert (row["cluster_id"], row["cluster_size"], row["join_reason"]) == (sha(name), 1, "near_blank")
    assert first["clusters"][sha("A1")]["cluster_size"] == 2
    assert first["clusters"][sha("U")]["join_reason"] == "unhashed"


def test_line_art_gets_the_stricter_256_bit_threshold(runs) -> None:  # type: ignore[no-untyped-def]
    first = runs["first"]
    assert cluster_of(first, "L1") == cluster_of(first, "L3")
    assert first["clusters"][sha("L2")]["join_reason"] == "alone"  # 56 bits: within 64, beyond line art's 48
    assert first["clusters"][sha("L1")]["is_line_art"] is True


def test_exact_copies_across_articles(runs) -> None:  # type: ignore[no-untyped-def]
    x = runs["first"]["clusters"][sha("X")]
    assert (x["join_reason"], x["figure_count"], x["article_count"], x["cluster_size"]) == ("exact", 2, 2, 1)
    pairs = runs["first"]["pairs"]
    assert pairs["PMC300_1"]["is_canonical"] and pairs["PMC400_2"]["duplicate_of"] == "PMC300_1"
    assert runs["first"]["clusters"][sha("N")]["join_reason"] == "alone"


def test_pairs_one_per_figure_with_an_image_and_dot_free_keys(runs) -> None:  # type: ignore[no-untyped-def]
    pairs = runs["first"]["pairs"]
    assert len(pairs) == sum(1 for f in FIGURES if f[2] is not None)
    assert all("." not in key for key in pairs)
    doi_pair = next(p for p in pairs.values() if p["article_key"] == "10.1234/journal.x.7")
    assert doi_pair["pair_key"].startswith("k") and doi_pair["pmcid"] is None
    assert pairs["PMC100_1"]["inline_refs"][0]["xref_text"] == "Fig. 1"
    for pair in pairs.values():
        assert pair["is_canonical"] == (pair["duplicate_of"] is None)


def test_commercial_copy_beats_an_earlier_noncommercial_one(runs) -> None:  # type: ignore[no-untyped-def]
    pairs = runs["first"]["pairs"]
    # Same image cluster, captions equal after normalisation ("Figure 1." / "Fig. 3:" labels, case, spaces).
    assert pairs["PMC200_1"]["is_canonical"] and pairs["PMC200_1"]["license_subset"] == "commercial"
    assert pairs["PMC100_1"]["duplicate_of"] == "PMC200_1"
    assert pairs["PMC100_1"]["group_size"] == 2


def test_retracted_article_never_holds_the_canonical_pair(runs) -> None:  # type: ignore[no-untyped-def]
    pairs = runs["first"]["pairs"]
    doi_pair = next(p for p in pairs.values() if p["article_key"] == "10.1234/journal.x.7")
    assert doi_pair["is_canonical"] and pairs["PMC600_1"]["duplicate_of"] == doi_pair["pair_key"]


def test_blank_pairs_are_not_deduplicated_across_different_bytes(runs) -> None:  # type: ignore[no-untyped-def]
    pairs = runs["first"]["pairs"]
    assert pairs["PMC100_2"]["is_canonical"] and pairs["PMC200_2"]["is_canonical"]


def test_both_pair_policies(runs, spark) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from biomedica_spark.dedup.job import build_pairs, settings_from_config

    lake = runs["lake"]
    base = settings_from_config(runs["cfg"])
    chain_pairs = runs["first"]["pairs"]
    # image_caption: "Chain one" twice, "Chain two" once -> two canonical pairs in cluster C.
    assert sum(p["is_canonical"] for k, p in chain_pairs.items() if k.startswith("PMC500_")) == 2
    clusters = lake.read("image_clusters")
    by_image = build_pairs(
        lake.read("figures"), lake.read("articles"), clusters, replace(base, pair_policy="image"), "t"
    )
    rows = {r["pair_key"]: r for r in by_image.collect()}
    assert sum(rows[k]["is_canonical"] for k in ("PMC500_1", "PMC500_2")) == 1
    assert rows["PMC500_2"]["duplicate_of"] == "PMC500_1"
    with pytest.raises(ValueError, match=r"dedup\.pair_key"):
        replace(base, pair_policy="caption")


def test_rerun_with_nothing_new_commits_nothing(runs) -> None:  # type: ignore[no-untyped-def]
    first, rerun = runs["first"], runs["rerun"]
    assert rerun["versions"] == first["versions"]
    assert rerun["clusters"] == first["clusters"] and rerun["pairs"] == first["pairs"]
    assert [r["job"] for r in rerun["runs"]] == ["dedup", "dedup"]


def test_new_images_join_existing_clusters_and_ids_stay_stable(runs) -> None:  # type: ignore[no-untyped-def]
    first, third = runs["first"], runs["third"]
    assert cluster_of(third, "A3") == cluster_of(first, "A1")
    assert third["clusters"][sha("A1")]["cluster_size"] == 3
    assert third["clusters"][sha("A3")]["distance"] == 1  # nearest is A2
    untouched = [n for n in FIRST_IMAGES if not n.startswith("D")]
    assert {n: cluster_of(third, n) for n in untouched} == {n: cluster_of(first, n) for n in untouched}


def test_bridging_image_merges_two_clusters_into_the_smallest_id(runs) -> None:  # type: ignore[no-untyped-def]
    first, third = runs["first"], runs["third"]
    d1, d2 = cluster_of(first, "D1a"), cluster_of(first, "D2a")
    assert d1 != d2
    merged = min(d1, d2)
    assert {cluster_of(third, n) for n in ("D1a", "D1b", "D2a", "D2b", "M")} == {merged}
    assert third["clusters"][sha("M")]["cluster_size"] == 5
    assert first["merges"] == []
    [merge] = third["merges"]
    assert (merge["from_cluster_id"], merge["into_cluster_id"], merge["bridge_sha256"]) == (
        max(d1, d2),
        merged,
        sha("M"),
    )
    assert (merge["from_size"], merge["into_size"]) == (2, 2)
    assert runs["third_report"]["counts"]["cluster_merges"] == 1


def test_removed_figure_loses_its_pair_and_new_figure_gains_one(runs) -> None:  # type: ignore[no-untyped-def]
    pairs = runs["third"]["pairs"]
    assert "PMC500_3" not in pairs and pairs["PMC700_1"]["cluster_id"] == cluster_of(runs["third"], "M")
    assert pairs["PMC500_1"]["is_canonical"]


def test_report_counts_and_runs_row(runs) -> None:  # type: ignore[no-untyped-def]
    counts = runs["report"]["counts"]
    assert counts["images_in"] == len(FIRST_IMAGES) == counts["new_images"]
    assert counts["exact_groups"] == 1
    assert counts["join_reason.near_blank"] == 3 and counts["join_reason.unhashed"] == 1
    assert counts["pairs_in"] == 11 and counts["canonical_pairs"] == 7
    assert counts["pairs.commercial"] == 7 and counts["canonical_pairs.noncommercial"] == 1
    largest = runs["report"]["largest_clusters"][0]
    assert largest["size"] == 3 and largest["example_pmcids"] == ["PMC500"]
    row = runs["first"]["runs"][0]
    assert row["counts"]["images_in"] == len(FIRST_IMAGES)
    assert set(row["table_versions_written"]) == {"image_clusters", "pairs", "cluster_merges"}
    assert "images" in row["table_versions_read"]


def test_tables_are_readable_by_delta_rs(runs) -> None:  # type: ignore[no-untyped-def]
    deltalake = pytest.importorskip("deltalake")
    root = Path(str(runs["lake"].root))
    for table in ("image_clusters", "pairs", "cluster_merges"):
        deltalake.DeltaTable(str(root / table)).to_pyarrow_table()


REAL_FIGURE_FOLDERS = ("encoda_elife-46793-v1", "encoda_elife-30274-v1", "encoda_plosone-0091296")


def _reencoded(data: bytes, scale: float = 1.0, pad: float = 0.0) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    if scale != 1.0:
        picture = picture.resize(
            (round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS
        )
    if pad:
        picture = ImageOps.expand(picture, border=round(max(picture.size) * pad), fill="white")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.corpus
def test_real_figure_copies_join_their_originals_across_articles(spark, real_corpus_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.extract.explode import image_row
    from biomedica_spark.images.analyse import analyse_image
    from biomedica_spark.lake.delta_io import Lake

    originals = sorted(
        p
        for folder in REAL_FIGURE_FOLDERS
        for p in (real_corpus_dir / "images" / folder).iterdir()
        if p.suffix in (".jpg", ".png") and not p.stem.startswith(("t0", "e0"))
    )[:14]
    images: dict[str, dict[str, Any]] = {}
    figures, articles, family_of = [], [], {}
    for number, path in enumerate(originals):
        data = path.read_bytes()
        copies = {
            "original": data,
            "exact": data,
            "half": _reencoded(data, scale=0.5),
            "padded": _reencoded(data, pad=0.1),
        }
        for slot, (kind, payload) in enumerate(copies.items()):
            info = analyse_image(payload)
            assert not hasattr(info, "reason"), f"{path.name} {kind}: {info}"
            images[info.sha256] = image_row(info, payload, f"file:/landing/{path.name}", kind, "test")
            article = f"PMC{9000 + number * 4 + slot}"
            label = "Figure 1." if slot % 2 else f"Fig. {slot + 2}:"
            figures.append(
                {
                    **figure_row(article, 1, None, f"{label} Real figure {number} as published"),
                    "image_sha256": info.sha256,
                }
            )
            articles.append(
                {
                    "article_key": article,
                    "pmcid": article,
                    "license_subset": "commercial",
                    "pub_date": dt.date(2000 + slot, 1, 1),
                    "is_retracted": False,
                }
            )
            family_of[article] = number

    cfg = load_config([f"lake.root={tmp_path / 'lake'}", "spark.master='local[2]'"])
    lake = Lake(spark, cfg)
    lake.ensure(["images", "figures", "articles"])
    append(spark, lake, "images", list(images.values()))
    append(spark, lake, "figures", figures)
    append(spark, lake, "articles", articles)
    run_dedup(spark, cfg)

    pairs = [r.asDict() for r in lake.read("pairs").collect()]
    cluster_of_family: dict[int, set[str]] = {}
    canonical_of_family: dict[int, int] = {}
    for pair in pairs:
        family = family_of[pair["article_key"]]
        cluster_of_family.setdefault(family, set()).add(pair["cluster_id"])
        canonical_of_family[family] = canonical_of_family.get(family, 0) + int(pair["is_canonical"])
    assert len(pairs) == 4 * len(originals)
    assert all(len(ids) == 1 for ids in cluster_of_family.values()), "a copy missed its original's cluster"
    assert len({next(iter(ids)) for ids in cluster_of_family.values()}) == len(originals), (
        "two originals merged"
    )
    assert set(canonical_of_family.values()) == {1}
    canonical = [p for p in pairs if p["is_canonical"]]
    assert all(p["pub_date"] == dt.date(2000, 1, 1) for p in canonical)  # the earliest of equal licences


def test_sql_preference_order_agrees_with_the_python_key(spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    from biomedica_spark.dedup.canonical import preference_key, preference_order

    rows = [
        {
            "article_key": key,
            "ordinal": ordinal,
            "license_subset": subset,
            "pub_date": date,
            "is_retracted": retracted,
        }
        for key, ordinal, subset, date, retracted in [
            ("PMC9", 1, "commercial", dt.date(2019, 1, 1), False),
            ("PMC1", 2, "commercial", dt.date(2019, 1, 1), False),
            ("PMC1", 1, "commercial", dt.date(2019, 1, 1), False),
            ("PMC2", 1, "commercial", None, False),
            ("PMC3", 1, "noncommercial", dt.date(2001, 1, 1), False),
            ("PMC4", 1, "other", dt.date(2000, 1, 1), False),
            ("PMC5", 1, None, dt.date(1999, 1, 1), False),
            ("PMC6", 1, "commercial", dt.date(1990, 1, 1), True),
            ("PMC7", 1, "commercial", dt.date(2018, 1, 1), None),
        ]
    ]
    df = spark.createDataFrame(
        rows, "article_key string, ordinal int, license_subset string, pub_date date, is_retracted boolean"
    )
    in_sql = [
        (r["article_key"], r["ordinal"])
        for r in df.orderBy(*[F.expr(t) for t in preference_order()]).collect()
    ]
    in_python = [(r["article_key"], r["ordinal"]) for r in sorted(rows, key=preference_key)]
    assert in_sql == in_python
    assert in_sql[0] == ("PMC7", 1) and in_sql[-1] == ("PMC6", 1)
