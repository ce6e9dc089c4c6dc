"""The Databricks Asset Bundle, checked offline (`databricks bundle validate` needs a workspace): every
task runs a console script the wheel declares, and every parameter is a Hydra override that composes
against the config as it is now, with the bundle's variables filled in for each target."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tomllib
import yaml

from biomedica_spark import cli
from biomedica_spark.config import load_config

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "deploy" / "databricks"
VARIABLE = re.compile(r"\$\{var\.([A-Za-z0-9_]+)\}")


def load_bundle() -> tuple[dict[str, Any], dict[str, Path]]:
    """databricks.yml merged with the resource files it includes, and the file each job came from."""
    root = yaml.safe_load((BUNDLE / "databricks.yml").read_text())
    job_files: dict[str, Path] = {}
    merged_jobs: dict[str, Any] = {}
    for pattern in root.get("include", []):
        files = sorted(BUNDLE.glob(pattern))
        assert files, f"include {pattern!r} matches no file"
        for path in files:
            jobs = yaml.safe_load(path.read_text())["resources"]["jobs"]
            for name, job in jobs.items():
                assert name not in merged_jobs, f"job {name} defined twice"
                merged_jobs[name] = job
                job_files[name] = path
    root.setdefault("resources", {})["jobs"] = merged_jobs
    return root, job_files


BUNDLE_CONFIG, JOB_FILES = load_bundle()
JOBS = BUNDLE_CONFIG["resources"]["jobs"]
TASKS = [(job_name, task) for job_name, job in JOBS.items() for task in job["tasks"]]
TASK_IDS = [f"{job}:{task['task_key']}" for job, task in TASKS]
TARGETS = sorted(BUNDLE_CONFIG["targets"])
PIPELINE_STEPS = {"acquire", "extract", "enrich", "dedup", "annotate", "export", "maintain"}


def console_scripts() -> dict[str, str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]


def target_variables(target: str) -> dict[str, str]:
    values = {name: str(spec["default"]) for name, spec in BUNDLE_CONFIG["variables"].items()}
    overrides = BUNDLE_CONFIG["targets"][target].get("variables") or {}
    values.update({name: str(value) for name, value in overrides.items()})
    return values


def substitute(text: str, variables: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in variables, f"{text!r} uses ${{var.{name}}}, which the bundle does not declare"
        return variables[name]

    return VARIABLE.sub(value, text)


def test_both_variants_run_every_pipeline_step_with_dev_and_prod_targets() -> None:
    assert {"dev", "prod"} <= set(TARGETS)
    assert BUNDLE_CONFIG["targets"]["dev"].get("default") is True
    assert len(JOBS) == 2
    for name, job in JOBS.items():
        assert {t["task_key"] for t in job["tasks"]} == PIPELINE_STEPS, name


@pytest.mark.parametrize(("job_name", "task"), TASKS, ids=TASK_IDS)
def test_each_task_runs_a_console_script_of_the_wheel_that_calls_the_right_job(
    job_name: str, task: dict[str, Any]
) -> None:
    wheel_task = task["python_wheel_task"]
    assert (
        wheel_task["package_name"].replace("_", "-")
        == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    )
    scripts = console_scripts()
    entry_point = wheel_task["entry_point"]
    assert entry_point in scripts, f"{entry_point} is not in pyproject's [project.scripts]: {sorted(scripts)}"
    module, _, function = scripts[entry_point].partition(":")
    assert module == "biomedica_spark.cli" and callable(getattr(cli, function, None)), scripts[entry_point]
    assert entry_point == f"biomedica-{task['task_key']}" and function == f"{task['task_key']}_main"
    assert task["task_key"] in cli.JOBS


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("job_name", "task"), TASKS, ids=TASK_IDS)
def test_each_parameter_is_an_override_of_an_existing_key_that_composes(
    job_name: str, task: dict[str, Any], target: str
) -> None:
    parameters = [substitute(p, target_variables(target)) for p in task["python_wheel_task"]["parameters"]]
    assert all("=" in p and not p.startswith(("+", "~")) for p in parameters), parameters
    # Hydra refuses a key that does not exist (a renamed key fails here), and checks each value's type.
    cfg = load_config(parameters)
    assert cfg.lake.mode == "unity" and cfg.lake.catalog and cfg.lake.schema
    volume = "/Volumes/{catalog}/{schema}/{volume}/".format(**target_variables(target))
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if value.startswith("/"):
            assert value.startswith(volume), f"{key}: files live on the bundle's Volume, not {value}"


@pytest.mark.parametrize("job_name", sorted(JOBS))
def test_dependencies_name_existing_tasks_and_form_the_pipeline_order(job_name: str) -> None:
    tasks = {t["task_key"]: [d["task_key"] for d in t.get("depends_on", [])] for t in JOBS[job_name]["tasks"]}
    for key, deps in tasks.items():
        assert set(deps) <= set(tasks), f"{key} depends on unknown tasks {set(deps) - set(tasks)}"

    def upstream(key: str, seen: frozenset[str] = frozenset()) -> set[str]:
        assert key not in seen, f"dependency cycle through {key}"
        found = set(tasks[key])
        for dep in tasks[key]:
            found |= upstream(dep, seen | {key})
        return found

    assert upstream("extract") == {"acquire"}
    assert {"extract"} <= upstream("dedup") and {"extract"} <= upstream("enrich")
    assert {"dedup", "enrich"} <= upstream("export") and "annotate" in upstream("export")
    assert upstream("maintain") == set(tasks) - {"maintain"}


@pytest.mark.parametrize("job_name", sorted(JOBS))
def test_acquire_runs_on_classic_compute_and_every_task_gets_the_wheel(job_name: str) -> None:
    job = JOBS[job_name]
    clusters = {c["job_cluster_key"] for c in job.get("job_clusters", [])}
    environments = {e["environment_key"]: e for e in job.get("environments", [])}
    wheel = (REPO / "dist").resolve()
    for task in job["tasks"]:
        if task["task_key"] == "acquire":  # serverless compute has no internet access
            assert "environment_key" not in task and task.get("job_cluster_key") in clusters
        if "environment_key" in task:
            dependencies = environments[task["environment_key"]]["spec"]["dependencies"]
        else:
            assert task.get("job_cluster_key") in clusters, task["task_key"]
            dependencies = [lib["whl"] for lib in task.get("libraries", []) if "whl" in lib]
        # Paths in an included file are relative to that file: they must reach the repository's dist/.
        resolved = {(JOB_FILES[job_name].parent / d).resolve().parent for d in dependencies}
        assert resolved == {wheel}, f"{task['task_key']}: wheel paths {dependencies}"


def test_the_bundle_builds_the_wheel_from_the_repository_root() -> None:
    (artifact,) = BUNDLE_CONFIG["artifacts"].values()
    assert artifact["type"] == "whl"
    assert (BUNDLE / artifact["path"]).resolve() == REPO
    assert artifact["build"] == "make build"
