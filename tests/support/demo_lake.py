"""A lake like `make demo` leaves, built in-process once per test session for the operate tests
(SQL queries, notebooks, run report): extract -> dedup -> annotate (with two expert labels) -> export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEMO_ARCHIVES = 40
DEMO_SEED = 7


@dataclass(frozen=True)
class DemoLake:
    base: Path
    landing: Path
    lake: Path
    export: Path
    overrides: tuple[str, ...]  # Hydra overrides that point every job at this lake

    def config(self, *extra: str) -> Any:
        from biomedica_spark.config import load_config

        return load_config([*self.overrides, *extra])


def build_demo_lake(spark: Any, base: Path) -> DemoLake:
    from biomedica_spark.annotate.job import current_model, record_label, run_annotate
    from biomedica_spark.annotate.taxonomy import load_taxonomy
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.export.job import run_export
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.lake.delta_io import Lake
    from biomedica_spark.samples.generator import generate_corpus

    demo = DemoLake(
        base=base,
        landing=base / "landing",
        lake=base / "lake",
        export=base / "export",
        overrides=(
            f"landing.root={base / 'landing'}",
            f"lake.root={base / 'lake'}",
            f"export.out={base / 'export'}",
            "spark.master='local[2]'",
            "annotate.k=20",
            "annotate.pca_components=10",
        ),
    )
    generate_corpus(demo.landing, profile="small", archives=DEMO_ARCHIVES, seed=DEMO_SEED)
    cfg = demo.config()
    run_extract(spark, cfg)
    run_dedup(spark, cfg)
    run_annotate(spark, demo.config("annotate.step=embed"))
    run_annotate(spark, demo.config("annotate.step=cluster"))
    lake = Lake(spark, cfg)
    model = current_model(lake)
    assert model is not None
    taxonomy = load_taxonomy()
    # Two clusters labelled as an expert would, so concept columns are not all empty.
    record_label(
        lake,
        taxonomy,
        model.model_version,
        0,
        panel_type="single",
        global_concepts=["plots and charts"],
        local_concepts=["Bar Plot"],
        annotator="demo",
    )
    record_label(
        lake,
        taxonomy,
        model.model_version,
        1,
        panel_type="single",
        global_concepts=["microscopy"],
        annotator="demo",
    )
    run_annotate(spark, demo.config("annotate.step=propagate"))
    run_export(spark, cfg)
    return demo
