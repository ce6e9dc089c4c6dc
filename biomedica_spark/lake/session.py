"""Getting a SparkSession with Delta: reuse the platform's, or build an embedded local one.

On Databricks, EMR and under `spark-submit` a session (and its Delta) already exists or is configured
by the launcher: reuse it and never ship Delta jars. Only a plain `python jobs/X.py` builds its own
`local[*]` session, with the Delta jars resolved from Maven through Ivy on first start.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from pyspark.sql import SparkSession

DELTA_CONFS = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def delta_maven_coordinates() -> str:
    """The Delta artifact for the installed pyspark + delta-spark, as delta's own pip helper picks it."""
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    # A builder starts no JVM until getOrCreate(): ask delta's own helper and read back what it set.
    builder = configure_spark_with_delta_pip(SparkSession.Builder())
    return str(builder._options["spark.jars.packages"])


def spark_submit_line(job: str = "jobs/extract.py") -> str:
    confs = " ".join(f"--conf {k}={v}" for k, v in DELTA_CONFS.items())
    return f"spark-submit --packages {delta_maven_coordinates()} {confs} {job} key=value ..."


def _launched_by_spark_submit() -> bool:
    # spark-submit starts the JVM first and hands the Python driver its gateway through these variables.
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_spark(cfg: DictConfig | None = None) -> SparkSession:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return _apply_session_confs(active, cfg)
    if _launched_by_spark_submit():
        return _apply_session_confs(SparkSession.builder.getOrCreate(), cfg)
    return _apply_session_confs(_build_local_session(cfg), cfg)


def _build_local_session(cfg: DictConfig | None) -> SparkSession:
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    # Workers must run the same interpreter (the project's venv), not whatever `python3` is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark_cfg: Any = cfg.spark if cfg is not None else None
    builder = SparkSession.builder.master(spark_cfg.master if spark_cfg else "local[*]").appName(
        spark_cfg.app_name if spark_cfg else "biomedica-spark"
    )
    for key, value in DELTA_CONFS.items():
        builder = builder.config(key, value)
    if spark_cfg is not None:
        builder = builder.config("spark.driver.memory", spark_cfg.driver_memory)
        for key, value in spark_cfg.conf.items():
            builder = builder.config(str(key), str(value))
    session = configure_spark_with_delta_pip(builder).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def _apply_session_confs(session: SparkSession, cfg: DictConfig | None) -> SparkSession:
    # ANSI mode differs between Spark 3.5 (off) and 4.x (on): pin it so casts behave the same everywhere.
    ansi = "false"
    if cfg is not None:
        ansi = str(cfg.spark.conf.get("spark.sql.ansi.enabled", "false"))
    session.conf.set("spark.sql.ansi.enabled", ansi)
    return session


@contextmanager
def temporary_conf(session: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """Session settings for one step, put back as they were afterwards (unset if they were unset). Spark
    reads most of them when it plans a query, so the step's action must run inside the block."""
    previous = {key: session.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        session.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in previous.items():
            if old is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, old)


def fetch_delta_jars() -> None:
    """Resolve the Delta jars into the Ivy cache by starting (and stopping) one local session. Several
    sessions starting at once on a machine whose cache is still empty (parallel test workers) race inside
    Ivy and fail on empty downloads, so `make setup` runs this once, alone, before anything else."""
    _build_local_session(None).stop()


if __name__ == "__main__":
    if "--submit-line" in sys.argv:
        print(spark_submit_line())
    elif "--fetch-jars" in sys.argv:
        fetch_delta_jars()
        print(f"Delta jars resolved: {delta_maven_coordinates()}")
