"""Extract on a generated corpus: every planted variant, broken input and duplicate checked against
the generator's ground truth; then incrementality (re-run, additions, touched files) and streaming."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.delta]

DATA_TABLES = ("sources", "articles", "figures", "images", "quarantine")
VOLATILE = {"run_id", "processed_at", "recorded_at"}


def _tables(lake) -> dict:  # type: ignore[no-untyped-def]
    return {name: lake.read(name).drop("image_bytes").toPandas() for name in DATA_TABLES}


def _value(value: object) -> object:
    """pandas turns nulls in numeric columns into NaN: compare them as None."""
    return None if isinstance(value, float) and value != value else value


def _suffix(path: str) -> str:
    return path.split("/landing/", 1)[1]


@pytest.fixture(scope="module")
def generated(spark, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.samples.generator import generate_corpus

    base = tmp_path_factory.mktemp("generated")
    landing = base / "landing"
    truth = generate_corpus(landing, profile="small", archives=40, seed=7)
    cfg = load_config([f"landing.root={landing}", f"lake.root={base / 'lake'}", "spark.master='local[2]'"])
    result = run_extract(spark, cfg)
    lake = Lake(spark, cfg)
    return {
        "base": base,
        "landing": landing,
        "truth": truth,
        "cfg": cfg,
        "lake": lake,
        "result": result,
        "tables": _tables(lake),
    }


def _current_archive(truth, article_key: str, archive_path: str) -> bool:  # type: ignore[no-untyped-def]
    for copies in truth.article_copies:
        if copies.article_key == article_key:
            return copies.preferred == archive_path
    return True


def test_every_article_has_its_metadata(generated) -> None:  # type: ignore[no-untyped-def]
    truth, articles = generated["truth"], generated["tables"]["articles"]
    by_key = {row["article_key"]: row for row in articles.to_dict("records")}
    checked = 0
    for archive in truth.archives:
        for art in archive.articles:
            row = by_key.get(art.article_key)
            assert row is not None, f"{archive.path}: article {art.article_key} missing"
            if not _current_archive(truth, art.article_key, archive.path):
                continue
            assert _suffix(row["source_path"]) == archive.path
            for field in (
                "key_source",
                "pmcid",
                "pmid",
                "doi",
                "title",
                "journal",
                "publisher",
                "pub_year",
                "license_code",
                "license_subset",
                "article_type",
            ):
                assert _value(row[field]) == getattr(art, field), (archive.path, field, row[field])
            assert str(row["pub_date"]) == art.pub_date
            assert sorted(row["reference_pmids"]) == sorted(art.reference_pmids)
            assert sorted(row["reference_dois"]) == sorted(art.reference_dois)
            if archive.layout == "cloud":
                assert row["version"] == art.version
                assert bool(row["is_retracted"]) == art.is_retracted
                assert bool(row["is_manuscript"]) == art.is_manuscript
            checked += 1
    assert checked >= 40


def test_every_figure_matches_the_truth_and_every_variant_is_covered(generated) -> None:  # type: ignore[no-untyped-def]
    truth, figures = generated["truth"], generated["tables"]["figures"]
    rows = {(r["article_key"], r["ordinal"]): r for r in figures.to_dict("records")}
    covered: set[str] = set()
    for archive in truth.archives:
        for art in archive.articles:
            if not _current_archive(truth, art.article_key, archive.path):
                continue
            got = [k for k in rows if k[0] == art.article_key]
            assert len(got) == len(art.figures), (archive.path, art.article_key, len(got), len(art.figures))
            for fig in art.figures:
                row = rows[(art.article_key, fig.ordinal)]
                where = (archive.path, art.article_key, fig.ordinal)
                for field in (
                    "figure_id",
                    "label",
                    "caption",
                    "caption_title",
                    "graphic_href",
                    "graphic_index",
                    "resolved_member",
                    "image_sha256",
                    "placement",
                    "kind",
                    "fig_type",
                    "fig_group_id",
                    "sub_article_id",
                    "has_own_permissions",
                ):
                    assert _value(row[field]) == getattr(fig, field), (*where, field, row[field])
                refs = list(row["inline_refs"])
                for ref in fig.inline_refs:
                    assert any(
                        r["xref_text"] == ref.xref_text
                        and ref.paragraph_contains in r["paragraph"]
                        and r["section_title"] == ref.section_title
                        for r in refs
                    ), (*where, ref, refs)
            covered.update(art.variants)
        covered.update(archive.variants)
    broken_variants = {b.variant for b in truth.broken}
    assert truth.variants - broken_variants <= covered


def test_every_broken_input_is_quarantined_with_its_reason(generated) -> None:  # type: ignore[no-untyped-def]
    truth, quarantine = generated["truth"], generated["tables"]["quarantine"]
    assert truth.broken, "the generator planted no broken inputs"
    records = quarantine.to_dict("records")
    for broken in truth.broken:
        matches = [
            q
            for q in records
            if _suffix(q["source_path"]) == broken.archive
            and q["reason_code"] == broken.reason
            and q["stage"] == broken.stage
            and (broken.item is None or q["item"] == broken.item)
        ]
        assert matches, (broken, [q for q in records if _suffix(q["source_path"]) == broken.archive])


def test_images_carry_their_properties_and_exact_copies_are_stored_once(generated) -> None:  # type: ignore[no-untyped-def]
    truth, images = generated["truth"], generated["tables"]["images"]
    by_sha = {r["image_sha256"]: r for r in images.to_dict("records")}
    assert len(by_sha) == len(images)
    referenced = set(generated["tables"]["figures"]["image_sha256"].dropna())
    for archive in truth.archives:
        for member, image in archive.images.items():
            if image.sha256 not in referenced:
                continue
            row = by_sha[image.sha256]
            for field in ("format", "mode", "width", "height", "bit_depth", "exif_orientation"):
                assert _value(row[field]) == getattr(image, field), (archive.path, member, field)
    exact = [g for g in truth.duplicate_groups if sum(m.transform == "exact_copy" for m in g.members)]
    assert exact, "the generator planted no exact copies"
    for group in exact:
        shas = {m.sha256 for m in group.members if m.transform in ("original", "exact_copy")}
        assert len(shas) == 1 and shas <= set(by_sha)


def test_every_table_reads_with_delta_rs(generated) -> None:  # type: ignore[no-untyped-def]
    import deltalake

    lake = generated["lake"]
    for table in (*DATA_TABLES, "runs"):
        data = deltalake.DeltaTable(lake.path(table)).to_pyarrow_table()
        assert data.num_rows == lake.read(table).count(), table


def test_rerun_changes_nothing_but_runs(spark, generated) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.extract.job import run_extract

    lake = generated["lake"]
    before = lake.versions(DATA_TABLES)
    runs_before = lake.read("runs").count()
    result = run_extract(spark, generated["cfg"])
    assert result.processed == 0
    assert lake.versions(DATA_TABLES) == before
    assert lake.read("runs").count() == runs_before + 1


def test_touched_archive_is_not_reprocessed_when_its_bytes_are_the_same(spark, generated) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.extract.job import run_extract

    lake = generated["lake"]
    target = next(p for p in sorted(generated["landing"].rglob("*.tar.gz")))
    os.utime(target, (target.stat().st_atime, target.stat().st_mtime + 3600))
    before = lake.versions(("articles", "figures", "images", "quarantine"))
    result = run_extract(spark, generated["cfg"])
    assert (result.processed, result.unchanged) == (1, 1)
    assert lake.versions(("articles", "figures", "images", "quarantine")) == before
    row = lake.read("sources").where(f"source_path LIKE '%{target.name}'").first()
    assert row["status"] == "unchanged" and row["mtime"].timestamp() == pytest.approx(target.stat().st_mtime)


def test_added_archives_are_the_only_ones_processed(spark, generated) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.samples.generator import generate_corpus

    extra = generated["base"] / "extra"
    generate_corpus(extra, profile="small", archives=5, seed=99, broken=False, duplicates=False)
    shutil.copytree(extra, generated["landing"] / "later")
    added = sum(1 for p in (generated["landing"] / "later").rglob("*") if p.is_file())
    lake = generated["lake"]
    sources_before = lake.read("sources").count()
    result = run_extract(spark, generated["cfg"])
    assert result.processed == added
    assert lake.read("sources").count() == sources_before + added
    new_rows = lake.read("sources").where("source_path LIKE '%/landing/later/%'")
    assert new_rows.count() == added and new_rows.where(f"run_id = '{result.run_id}'").count() == added


def test_large_archives_streamed_by_path_give_the_same_rows(spark, generated, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake

    landing = tmp_path / "landing"
    shutil.copytree(generated["landing"], landing)
    shutil.rmtree(landing / "later", ignore_errors=True)
    for src in generated["landing"].rglob("*"):  # keep mtimes so sources compare equal
        if src.is_file():
            dst = landing / src.relative_to(generated["landing"])
            if dst.exists():
                shutil.copystat(src, dst)
    cfg_inline = load_config(
        [f"landing.root={landing}", f"lake.root={tmp_path / 'inline'}", "spark.master='local[2]'"]
    )
    cfg_stream = load_config(
        [
            f"landing.root={landing}",
            f"lake.root={tmp_path / 'stream'}",
            "spark.master='local[2]'",
            "extract.inline_max_bytes=0",
        ]
    )
    run_extract(spark, cfg_inline)
    run_extract(spark, cfg_stream)
    for table in ("articles", "figures", "images", "quarantine"):
        a = _comparable(Lake(spark, cfg_inline).read(table))
        b = _comparable(Lake(spark, cfg_stream).read(table))
        assert a == b, table


def _comparable(df) -> list:  # type: ignore[no-untyped-def]
    cols = [c for c in df.columns if c not in VOLATILE]
    return sorted(repr(tuple(r)) for r in df.select(*cols).collect())


def test_a_missing_landing_zone_is_a_clear_error(spark, lake_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.extract.job import run_extract

    cfg = lake_config(landing=tmp_path / "nowhere")
    (tmp_path / "nowhere").rmdir()
    with pytest.raises(SystemExit, match=r"landing\.root does not exist"):
        run_extract(spark, cfg)
