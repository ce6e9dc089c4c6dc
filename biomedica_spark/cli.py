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


def _export(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.export.job import run_export, summary_lines

    print("\n".join(summary_lines(run_export(spark, cfg))))


def _enrich(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.enrich.job import run_enrich
    from biomedica_spark.enrich.report import format_report

    print(format_report(run_enrich(spark, cfg)))


def _acquire(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.acquire.job import run_acquire, summary_line

    print(summary_line(run_acquire(spark, cfg)))


def _annotate(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.annotate.job import run_annotate

    for result in run_annotate(spark, cfg):
        counts = " ".join(f"{name}={value}" for name, value in sorted(result.counts.items()))
        print(f"annotate {result.step} run {result.run_id} model {result.model_version or '-'}: {counts}")


def _maintain(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.maintain import run_maintain, summary_lines

    result = run_maintain(spark, cfg)
    print("\n".join(summary_lines(result)))
    if any(outcome.error for outcome in result.tables):
        raise SystemExit("maintain: some tables failed (see above); the others were maintained")


def _report(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.run_report.job import run_report

    print(f"run report: {run_report(spark, cfg)}")


def _pipeline(spark: SparkSession, cfg: DictConfig) -> None:
    from biomedica_spark.pipeline import run_pipeline

    run_pipeline(spark, cfg)


JOBS: dict[str, Callable[[SparkSession, DictConfig], None]] = {
    "acquire": _acquire,
    "extract": _extract,
    "dedup": _dedup,
    "enrich": _enrich,
    "export": _export,
    "annotate": _annotate,
    "maintain": _maintain,
    "report": _report,
    "pipeline": _pipeline,
}


def run_job(name: str, argv: Sequence[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_config(argv)
    from biomedica_spark.lake.session import get_spark

    spark = get_spark(cfg)
    JOBS[name](spark, cfg)


def acquire_main() -> None:
    run_job("acquire", sys.argv[1:])


def extract_main() -> None:
    run_job("extract", sys.argv[1:])


def dedup_main() -> None:
    run_job("dedup", sys.argv[1:])


def export_main() -> None:
    run_job("export", sys.argv[1:])


def enrich_main() -> None:
    run_job("enrich", sys.argv[1:])


def annotate_main() -> None:
    run_job("annotate", sys.argv[1:])


def maintain_main() -> None:
    run_job("maintain", sys.argv[1:])


def report_main() -> None:
    run_job("report", sys.argv[1:])


def pipeline_main() -> None:
    run_job("pipeline", sys.argv[1:])
