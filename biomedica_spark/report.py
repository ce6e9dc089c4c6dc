"""Short, human summaries of what a lake holds (printed by jobs and `make demo`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from biomedica_spark.lake.delta_io import Lake

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import SparkSession


def extract_summary(spark: SparkSession, cfg: DictConfig) -> dict[str, object]:
    lake = Lake(spark, cfg)
    figures = lake.read("figures")
    reasons = {
        r["reason_code"]: int(r["count"])
        for r in lake.read("quarantine").groupBy("reason_code").count().orderBy("reason_code").collect()
    }
    return {
        "archives": lake.read("sources").count(),
        "articles": lake.read("articles").count(),
        "figures": figures.count(),
        "figures_with_image": figures.where("image_sha256 IS NOT NULL").count(),
        "images": lake.read("images").count(),
        "quarantined": reasons,
    }


def print_extract_summary(spark: SparkSession, cfg: DictConfig, run_id: str | None = None) -> None:
    lake = Lake(spark, cfg)
    summary = extract_summary(spark, cfg)
    print(f"\nDelta tables under {lake.root}  (catalog database `{lake.database}`)")
    if run_id:
        print(f"run {run_id}")
    for key in ("archives", "articles", "figures", "figures_with_image", "images"):
        print(f"  {key:<20} {summary[key]:>10,}")
    reasons = summary["quarantined"]
    assert isinstance(reasons, dict)
    print(f"  {'quarantined':<20} {sum(reasons.values()):>10,}")
    for reason, n in reasons.items():
        print(f"    {reason:<26} {n:>8,}")


def main(argv: list[str]) -> None:
    from biomedica_spark.config import load_config
    from biomedica_spark.lake.session import get_spark

    cfg = load_config(argv)
    spark = get_spark(cfg)
    print_extract_summary(spark, cfg)


if __name__ == "__main__":
    main(sys.argv[1:])
