"""The annotate job end to end on a lake built by extract + dedup from a small generated corpus.

One module-scoped lake; the steps run in order (embed, cluster, sheets with a CSV import, propagate),
then again unchanged, then dedup again, then a refit; the tests read the snapshots taken along the way.
An image with unreadable bytes is planted in `images` before dedup, so embed has one to quarantine.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.delta]

GARBAGE = b"definitely not an image"
K = 4


def _pairs(lake) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    return {r["pair_key"]: r.asDict() for r in lake.read("pairs").collect()}


def _versions(lake) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from biomedica_spark.annotate.job import ANNOTATE_TABLES

    return lake.versions((*ANNOTATE_TABLES, "pairs", "quarantine"))


def _plant_garbage_image(spark, lake) -> str:  # type: ignore[no-untyped-def]
    from biomedica_spark.lake.schemas import ddl

    sha = hashlib.sha256(GARBAGE).hexdigest()
    schema = spark.createDataFrame([], ddl("images")).schema
    row = {f.name: None for f in schema.fields}
    row.update(
        image_sha256=sha, image_bytes=GARBAGE, first_source_path="planted.tar.gz", first_member_path="x.jpg"
    )
    lake.append("images", spark.createDataFrame([row], schema))
    return sha


def _edit_labels(template: Path, edited: Path, model_version: str) -> None:
    """Label cluster 0 as microscopy; give cluster 1 an unknown concept (must be rejected)."""
    rows = list(csv.DictReader(template.open(encoding="utf-8")))
    for row in rows:
        if row["cluster_label_id"] == "0":
            row.update(
                panel_type="single", global_concepts="microscopy", local_concepts="Confocal Microscopy"
            )
            row["annotator"] = "tester"
        if row["cluster_label_id"] == "1":
            row.update(panel_type="single", global_concepts="Microscopy; Telepathy")
    with edited.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert all(r["model_version"] == model_version for r in rows)


@pytest.fixture(scope="module")
def annotated(spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from biomedica_spark.annotate.job import record_label, run_annotate
    from biomedica_spark.annotate.taxonomy import load_taxonomy
    from biomedica_spark.config import load_config
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.samples.generator import generate_corpus

    base = tmp_path_factory.mktemp("annotate")
    landing, sheets = base / "landing", base / "sheets"
    generate_corpus(landing, profile="small", archives=10, seed=11)
    common = [f"landing.root={landing}", f"lake.root={base / 'lake'}", "spark.master='local[2]'"]
    settings = [f"annotate.k={K}", "annotate.pca_components=6", f"annotate.sheets.dir={sheets}"]

    def cfg(*overrides: str):  # type: ignore[no-untyped-def]
        return load_config([*common, *settings, *overrides])

    run_extract(spark, cfg())
    lake = Lake(spark, cfg())
    garbage = _plant_garbage_image(spark, lake)
    run_dedup(spark, cfg())
    out: dict[str, Any] = {"lake": lake, "garbage": garbage, "sheets": sheets, "pairs_before": _pairs(lake)}

    out["embed"] = run_annotate(spark, cfg("annotate.step=embed"))[0]
    out["cluster"] = run_annotate(spark, cfg("annotate.step=cluster"))[0]
    version = out["cluster"].model_version
    out["sheets_first"] = run_annotate(spark, cfg("annotate.step=sheets"))[0]
    edited = base / "edited.csv"
    _edit_labels(sheets / version / "labels.csv", edited, version)
    out["sheets_import"] = run_annotate(
        spark, cfg("annotate.step=sheets", f"annotate.sheets.labels_csv={edited}")
    )[0]
    taxonomy = load_taxonomy()
    with pytest.raises(ValueError, match="unknown local concept 'pie'"):
        record_label(
            lake,
            taxonomy,
            version,
            3,
            panel_type="single",
            global_concepts=["Maps"],
            local_concepts=["pie"],
            annotator="tester",
        )
    with pytest.raises(ValueError, match=f"has no cluster {K}"):
        record_label(lake, taxonomy, version, K, panel_type="single", global_concepts=["Maps"], annotator="t")
    record_label(
        lake,
        taxonomy,
        version,
        3,
        panel_type="multiple",
        global_concepts=["plots and charts"],
        local_concepts=["Bar Plot"],
        panel_subtype="multiple panels: images & plots",
        annotator="nb",
    )
    out["propagate"] = run_annotate(spark, cfg("annotate.step=propagate"))[0]
    out["pairs"] = _pairs(lake)
    out["embeddings"] = [r.asDict() for r in lake.read("image_embeddings").collect()]
    out["assignments"] = [r.asDict() for r in lake.read("concept_clusters").collect()]
    out["clusters"] = [r.asDict() for r in lake.read("image_clusters").collect()]
    out["labels"] = [r.asDict() for r in lake.read("cluster_labels").collect()]
    out["quarantine"] = [
        r.asDict() for r in lake.read("quarantine").where("stage IN ('embed', 'labels')").collect()
    ]
    out["versions"] = _versions(lake)

    out["rerun"] = run_annotate(spark, cfg("annotate.step=all", f"annotate.sheets.labels_csv={edited}"))
    out["versions_rerun"] = _versions(lake)
    run_dedup(spark, cfg())
    out["pairs_after_dedup"] = _pairs(lake)
    out["versions_after_dedup"] = _versions(lake)

    out["refit"] = run_annotate(
        spark, cfg("annotate.step=cluster", "annotate.refit=true", "annotate.seed=7")
    )[0]
    out["refit_propagate"] = run_annotate(spark, cfg("annotate.step=propagate"))[0]
    out["pairs_refit"] = _pairs(lake)
    out["models"] = [r.asDict() for r in lake.read("annotate_models").collect()]
    out["labels_refit"] = [r.asDict() for r in lake.read("cluster_labels").collect()]
    out["assignments_refit"] = [r.asDict() for r in lake.read("concept_clusters").collect()]
    return out


def test_embed_one_vector_per_representative_and_quarantines_bad_bytes(annotated) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.annotate.descriptor import DESCRIPTOR_DIM

    representatives = {c["representative_sha256"] for c in annotated["clusters"]}
    embedded = {e["image_sha256"] for e in annotated["embeddings"]}
    assert embedded == representatives - {annotated["garbage"]}
    assert len(annotated["embeddings"]) == len(embedded)
    for row in annotated["embeddings"]:
        assert (row["embedder"], row["embedder_version"]) == ("handcrafted", "descriptor-v1")
        assert row["dim"] == DESCRIPTOR_DIM == len(row["embedding"])
    [bad] = [q for q in annotated["quarantine"] if q["stage"] == "embed"]
    assert (bad["item"], bad["reason_code"], bad["source_path"]) == (
        annotated["garbage"],
        "image_corrupt",
        "planted.tar.gz",
    )
    assert annotated["embed"].counts == {
        "representatives_pending": len(representatives),
        "embedded": len(embedded),
        "quarantined": 1,
    }


def test_cluster_assigns_every_embedded_representative_to_one_of_k(annotated) -> None:  # type: ignore[no-untyped-def]
    version = annotated["cluster"].model_version
    mine = [a for a in annotated["assignments"] if a["model_version"] == version]
    assert {a["image_sha256"] for a in mine} == {e["image_sha256"] for e in annotated["embeddings"]}
    assert {a["cluster_label_id"] for a in mine} == set(range(K))
    assert annotated["cluster"].counts == {"models_fitted": 1, "assigned": len(mine)}


def test_sheets_render_a_png_per_cluster_and_a_label_template(annotated) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    folder = annotated["sheets"] / annotated["cluster"].model_version
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert pngs == [f"cluster_{i:05d}.png" for i in range(K)]
    with Image.open(folder / pngs[0]) as sheet:
        assert sheet.format == "PNG" and sheet.width >= 4 * 160
    template = list(csv.DictReader(io.StringIO((folder / "labels.csv").read_text(encoding="utf-8"))))
    assert [r["cluster_label_id"] for r in template] == [str(i) for i in range(K)]
    assert sum(int(r["images"]) for r in template) == len(annotated["embeddings"])
    assert annotated["sheets_first"].counts["sheets"] == K


def test_csv_import_keeps_valid_labels_and_quarantines_the_rest(annotated) -> None:  # type: ignore[no-untyped-def]
    version = annotated["cluster"].model_version
    [label] = [row for row in annotated["labels"] if row["cluster_label_id"] != 3]
    assert (label["model_version"], label["cluster_label_id"]) == (version, 0)
    assert label["global_concepts"] == ["Microscopy"]  # taxonomy spelling, whatever the CSV's case
    assert label["local_concepts"] == ["confocal microscopy"]
    assert (label["panel_type"], label["annotator"]) == ("single", "tester")
    [rejected] = [q for q in annotated["quarantine"] if q["stage"] == "labels"]
    assert rejected["reason_code"] == "label_invalid"
    assert "Telepathy" in rejected["detail"] and rejected["item"] == f"{version}/1"
    assert annotated["sheets_import"].counts["labels_imported"] == 1
    assert annotated["sheets_import"].counts["labels_rejected"] == 1


def test_record_label_validates_then_stores_in_taxonomy_spelling(annotated) -> None:  # type: ignore[no-untyped-def]
    [label] = [row for row in annotated["labels"] if row["cluster_label_id"] == 3]
    assert (label["panel_type"], label["panel_subtype"]) == ("multiple", "multiple panels: images & plots")
    assert (label["global_concepts"], label["local_concepts"]) == (["Plots and Charts"], ["bar plot"])
    assert label["annotator"] == "nb"


def test_propagate_labels_every_pair_through_its_representative(annotated) -> None:  # type: ignore[no-untyped-def]
    version = annotated["cluster"].model_version
    cluster_of_image = {
        c["image_sha256"]: a["cluster_label_id"]
        for c in annotated["clusters"]
        for a in annotated["assignments"]
        if a["image_sha256"] == c["representative_sha256"] and a["model_version"] == version
    }
    pairs = annotated["pairs"]
    assert pairs.keys() == annotated["pairs_before"].keys()
    sources = set()
    for pair in pairs.values():
        assert pair["cluster_label_id"] == cluster_of_image[pair["image_sha256"]]
        assert pair["concept_model_version"] == version
        sources.add(pair["concept_source"])
        if pair["cluster_label_id"] == 0:
            assert pair["concept_source"] == "expert"
            assert pair["global_concepts"] == ["Microscopy"]
            assert pair["local_concepts"] == ["confocal microscopy"]
        elif pair["cluster_label_id"] == 3:
            assert (pair["concept_source"], pair["panel_type"]) == ("expert", "multiple")
            assert pair["global_concepts"] == ["Plots and Charts"]
        else:
            assert pair["concept_source"] in ("caption", None)
            assert isinstance(pair["global_concepts"], list) and isinstance(pair["local_concepts"], list)
            if pair["concept_source"] is None:
                assert pair["global_concepts"] == [] and pair["panel_type"] is None
    assert "expert" in sources
    counts = annotated["propagate"].counts
    assert counts["pairs_expert"] + counts["pairs_caption"] + counts["pairs_unlabelled"] == len(pairs)


def test_rerunning_every_step_changes_nothing(annotated) -> None:  # type: ignore[no-untyped-def]
    assert annotated["versions_rerun"] == annotated["versions"]
    by_step = {r.step: r.counts for r in annotated["rerun"]}
    assert by_step["embed"]["representatives_pending"] == 0  # the quarantined garbage is not retried
    assert by_step["cluster"] == {"assigned": 0}
    assert by_step["propagate"]["pairs_changed"] == 0


def test_dedup_rerun_keeps_the_labels(annotated) -> None:  # type: ignore[no-untyped-def]
    assert annotated["pairs_after_dedup"] == annotated["pairs"]
    assert annotated["versions_after_dedup"]["pairs"] == annotated["versions"]["pairs"]


def test_refit_adds_a_model_version_and_keeps_the_old_labels(annotated) -> None:  # type: ignore[no-untyped-def]
    old, new = annotated["cluster"].model_version, annotated["refit"].model_version
    assert old != new and new.startswith(f"k{K}-p6-s7-")
    assert {m["model_version"] for m in annotated["models"]} == {old, new}
    for model in annotated["models"]:
        assert Path(model["model_path"]).is_dir()
    assert annotated["labels_refit"] == annotated["labels"]  # the old version's labels stay queryable
    by_version: dict[str, set[str]] = {}
    for row in annotated["assignments_refit"]:
        by_version.setdefault(row["model_version"], set()).add(row["image_sha256"])
    assert by_version[old] == by_version[new]
    assert {p["concept_model_version"] for p in annotated["pairs_refit"].values()} == {new}
    # No expert has labelled the new model's clusters yet: only caption suggestions or nothing.
    assert {p["concept_source"] for p in annotated["pairs_refit"].values()} <= {"caption", None}
