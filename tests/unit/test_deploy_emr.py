"""The EMR definitions, checked offline: every step and job run submits an existing job with overrides
that compose against the config, ships the packed venv, and uses the platform's Delta (never a copy)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from biomedica_spark import cli
from biomedica_spark.config import load_config

REPO = Path(__file__).resolve().parents[2]
EMR = REPO / "deploy" / "emr"
PLATFORM_DELTA = "/usr/share/aws/delta/lib/delta-spark.jar"
ENV_PYTHON = "./environment/bin/python"
# spark-submit options that take a value; anything else starting with -- is a flag.
VALUED = {"--deploy-mode", "--master", "--name", "--jars", "--py-files", "--archives", "--conf", "--packages"}


@dataclass
class Submit:
    options: dict[str, list[str]] = field(default_factory=dict)
    confs: dict[str, str] = field(default_factory=dict)
    app: str = ""
    app_args: list[str] = field(default_factory=list)


def parse_submit(args: list[str]) -> Submit:
    """spark-submit arguments -> options, --conf pairs, the application and its arguments."""
    parsed = Submit()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            assert arg in VALUED, f"unexpected spark-submit option {arg}"
            value = args[i + 1]
            if arg == "--conf":
                key, _, conf_value = value.partition("=")
                parsed.confs[key] = conf_value
            else:
                parsed.options.setdefault(arg, []).append(value)
            i += 2
            continue
        parsed.app, parsed.app_args = arg, args[i + 1 :]
        break
    return parsed


def steps() -> list[dict]:
    return json.loads((EMR / "steps.json").read_text())


def serverless_submit() -> Submit:
    run = json.loads((EMR / "serverless-job-run.json").read_text())
    driver = run["jobDriver"]["sparkSubmit"]
    parsed = parse_submit(shlex.split(driver["sparkSubmitParameters"]))
    assert not parsed.app, "sparkSubmitParameters must not name the application"
    parsed.app, parsed.app_args = driver["entryPoint"], driver["entryPointArguments"]
    return parsed


def submissions() -> list[tuple[str, Submit]]:
    found = []
    for step in steps():
        assert step["Jar"] == "command-runner.jar" and step["Args"][0] == "spark-submit", step["Name"]
        found.append((f"steps.json:{step['Name']}", parse_submit(step["Args"][1:])))
    found.append(("serverless-job-run.json", serverless_submit()))
    return found


SUBMISSIONS = submissions()
IDS = [name for name, _ in SUBMISSIONS]


def job_of(app: str) -> str:
    assert app.startswith("s3://") and "/jobs/" in app and app.endswith(".py"), app
    return app.rsplit("/", 1)[1].removesuffix(".py")


@pytest.mark.parametrize("submit", [s for _, s in SUBMISSIONS], ids=IDS)
def test_each_submission_runs_an_existing_job_with_overrides_that_compose(submit: Submit) -> None:
    job = job_of(submit.app)
    assert job in cli.JOBS and (REPO / "jobs" / f"{job}.py").is_file(), job
    assert all("=" in a and not a.startswith("-") for a in submit.app_args), submit.app_args
    cfg = load_config(submit.app_args)  # a renamed or misspelt key fails here
    assert str(cfg.lake.root).startswith("s3://")


@pytest.mark.parametrize("submit", [s for _, s in SUBMISSIONS], ids=IDS)
def test_each_submission_ships_the_packed_venv_and_uses_the_platforms_delta(submit: Submit) -> None:
    assert [a.rsplit("#", 1)[1] for a in submit.options["--archives"]] == ["environment"]
    assert submit.options["--archives"][0].split("#")[0].endswith(".tar.gz")
    assert submit.confs["spark.executorEnv.PYSPARK_PYTHON"] == ENV_PYTHON
    driver_python = {
        k: v for k, v in submit.confs.items() if "PYSPARK_PYTHON" in k and "executorEnv" not in k
    }
    assert driver_python and set(driver_python.values()) == {ENV_PYTHON}
    assert "--packages" not in submit.options, "on EMR use its Delta; never ship Delta jars"
    jars = ",".join(submit.options["--jars"]).split(",")
    assert PLATFORM_DELTA in jars and all(j.startswith("/usr/share/aws/delta/lib/") for j in jars)
    assert PLATFORM_DELTA in submit.options["--py-files"]  # the jar carries the `delta` Python package
    assert submit.confs["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert (
        submit.confs["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    )
    assert submit.confs["spark.sql.ansi.enabled"] == "false"


@pytest.mark.parametrize("submit", [s for _, s in SUBMISSIONS], ids=IDS)
def test_a_dynamodb_log_store_comes_with_its_jar_table_and_region(submit: Submit) -> None:
    store = submit.confs.get("spark.delta.logStore.s3.impl")
    if store is None:
        return  # single writer at a time: EMR steps run one after another (StepConcurrencyLevel 1)
    assert store == "io.delta.storage.S3DynamoDBLogStore"
    assert "/usr/share/aws/delta/lib/delta-storage-s3-dynamodb.jar" in ",".join(submit.options["--jars"])
    assert submit.confs["spark.io.delta.storage.S3DynamoDBLogStore.ddb.tableName"]
    assert submit.confs["spark.io.delta.storage.S3DynamoDBLogStore.ddb.region"]


def test_the_steps_run_the_whole_pipeline_in_order_one_at_a_time() -> None:
    order = [job_of(parse_submit(s["Args"][1:]).app) for s in steps()]
    assert order == ["acquire", "extract", "enrich", "dedup", "annotate", "export", "maintain"]
    assert all(s["ActionOnFailure"] in ("CANCEL_AND_WAIT", "TERMINATE_CLUSTER") for s in steps())
    # Without the DynamoDB log store, two steps must never write the same Delta table concurrently.
    assert all("spark.delta.logStore.s3.impl" not in parse_submit(s["Args"][1:]).confs for s in steps())


def test_the_venv_script_builds_without_pyspark_and_delta_spark() -> None:
    script = (EMR / "build_venv.sh").read_text()
    assert "venv-pack" in script and '"pyspark", "delta-spark"' in script
    assert " -e " not in script and "--editable" not in script
