"""The embedded local session is built with the JVM options from `spark.conf` (conf/config.yaml)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.spark]


def test_local_session_jvm_runs_with_the_configured_options(spark) -> None:  # type: ignore[no-untyped-def]
    from biomedica_spark.config import load_config

    configured = str(load_config([]).spark.conf["spark.driver.extraJavaOptions"]).split()
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert configured and set(configured) <= set(runtime.getInputArguments())
