"""spark-submit arguments for the slow tests that run jobs under spark-submit on this 2-core machine."""

from __future__ import annotations


def local_sizing_confs() -> list[str]:
    """`--conf` pairs giving a spark-submit job the settings the embedded local session gets from conf/.

    jobs/*.py apply conf/'s `spark.conf` only to a session they build, never to one spark-submit made
    (a cluster keeps its own tuning). Spark's and Delta's defaults are sized for clusters: 200 shuffle
    partitions and 50 tasks per Delta snapshot made an 8-archive extract take 190 s under spark-submit
    on local[2] against 99 s with these. Driver logs stay at WARN: INFO is ~10,000 lines a run.
    """
    from biomedica_spark.config import load_config

    confs = {str(k): str(v) for k, v in load_config([]).spark.conf.items()}
    confs["spark.log.level"] = "WARN"
    return [arg for key, value in confs.items() for arg in ("--conf", f"{key}={value}")]
