"""The embedded local session is built with the JVM options of its config's `spark.conf`."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.spark]


def test_local_session_jvm_runs_with_the_configured_options(spark, spark_config) -> None:  # type: ignore[no-untyped-def]
    configured = str(spark_config.spark.conf["spark.driver.extraJavaOptions"]).split()
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert configured and set(configured) <= set(runtime.getInputArguments())
