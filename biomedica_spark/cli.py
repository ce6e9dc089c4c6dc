"""Entry points shared by `jobs/*.py` (spark-submit, Databricks, EMR) and the wheel's console scripts."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from biomedica_spark.config import load_config

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import SparkSession


def _extract(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.extract.job import run_extract
    from biomedica_spark.report import print_extract_summary

    result = run_extract(spark, cfg)
    print_extract_summary(spark, cfg, result.run_id)


def _dedup(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.dedup.job import run_dedup
    from biomedica_spark.dedup.report import format_report

    result = run_dedup(spark, cfg)
    print(format_report(result.report, result.run_id))


JOBS: dict[str, Callable[[SparkSession, DictConfig], None]] = {"extract": _extract, "dedup": _dedup}


def run_job(name: str, argv: Sequence[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_config(argv)
    from biomedica_spark.lake.session import get_spark

    spark = get_spark(cfg)
    JOBS[name](spark, cfg)


def extract_main() -> None:
    run_job("extract", sys.argv[1:])


def dedup_main() -> None:
    run_job("dedup", sys.argv[1:])
