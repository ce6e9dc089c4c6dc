"""The EMR packaging path on local Spark: `make build`'s wheel -> deploy/emr/build_venv.sh -> a packed
venv without pyspark/delta-spark -> `spark-submit --archives venv.tar.gz#environment jobs/extract.py`.

What this proves: the wheel installs non-editable with its conf/ and runs a job from a venv that has
neither pyspark (spark-submit puts its own on PYTHONPATH) nor delta-spark (the Delta jar on the
classpath carries the `delta` Python package, as /usr/share/aws/delta/lib/delta-spark.jar does on EMR),
and that executors run Python from the archive Spark unpacked as `environment` in their working
directory (PYSPARK_PYTHON=./environment/bin/python). That last part needs real executors: under
`--master local[N]` Spark unpacks `--archives` into the driver's SparkFiles folder while Python workers
start in the driver's working directory, so the relative path cannot resolve (and pip's pyspark has no
`local-cluster`). The test therefore starts a one-worker standalone cluster from pip's pyspark
(`spark-class ...Master` / `...Worker`), whose executors, like YARN containers, work in their own folder
where the archive is unpacked. The client-mode driver runs the same archive, unpacked by the test, as
the YARN application master would in cluster mode. Not proven here: YARN's localisation itself, and a
cluster Python at the same path as the build machine's (build_venv.sh says to build on amazonlinux:2023).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.delta]

REPO = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)
    assert proc.returncode == 0, f"{cmd[:3]}...\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def standalone_master(tmp_path: Path) -> Iterator[str]:
    """A standalone master and one worker (2 cores) on loopback; yields the master URL."""
    import pyspark

    spark_class = Path(sys.executable).parent / "spark-class"
    if not spark_class.exists():
        pytest.skip("spark-class is not installed beside this interpreter")
    env = {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",  # no fixed port 6066
    }
    url = f"spark://127.0.0.1:{_free_port()}"
    port = url.rsplit(":", 1)[1]
    logs = tmp_path / "cluster-logs"
    logs.mkdir()
    master_cmd = ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", port]
    worker_cmd = ["org.apache.spark.deploy.worker.Worker", "--cores", "2", "--memory", "2g"]
    processes = []
    try:
        with open(logs / "master.log", "w") as out:
            processes.append(
                subprocess.Popen(
                    [str(spark_class), *master_cmd, "--webui-port", str(_free_port())],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        with open(logs / "worker.log", "w") as out:
            processes.append(
                subprocess.Popen(
                    [
                        str(spark_class),
                        *worker_cmd,
                        "--work-dir",
                        str(tmp_path / "work"),
                        "--webui-port",
                        str(_free_port()),
                        url,
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 180
        while not re.search(r"Registering worker", (logs / "master.log").read_text()):
            assert time.monotonic() < deadline, (logs / "master.log").read_text()[-3000:]
            assert all(p.poll() is None for p in processes), (logs / "worker.log").read_text()[-3000:]
            time.sleep(1)
        yield url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def test_the_packed_venv_runs_extract_under_spark_submit_archives(
    tmp_path: Path, standalone_master: str
) -> None:
    import deltalake
    import pyspark

    from biomedica_spark.lake.session import spark_submit_line
    from biomedica_spark.samples.generator import generate_corpus
    from tests.support.submit import local_sizing_confs

    spark_submit = Path(sys.executable).parent / "spark-submit"
    if not spark_submit.exists():
        pytest.skip("spark-submit is not installed beside this interpreter")

    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)])
    (wheel,) = dist.glob("biomedica_spark-*.whl")
    archive = tmp_path / "venv.tar.gz"
    built = _run(
        ["bash", str(REPO / "deploy" / "emr" / "build_venv.sh"), str(wheel), str(archive)],
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert "site-packages/biomedica_spark/conf" in built.stdout

    driver_env = tmp_path / "driver-env"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(driver_env, filter="tar")
    assert not any("/site-packages/pyspark/" in n or "/site-packages/delta/" in n for n in names)

    landing, lake = tmp_path / "landing", tmp_path / "lake"
    generate_corpus(landing, profile="small", archives=4, seed=5)

    submit = spark_submit_line().split()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        # As on a cluster, SPARK_HOME is given: spark-submit would otherwise import pyspark to find it.
        SPARK_HOME=str(Path(pyspark.__file__).parent),
        PYSPARK_PYTHON="./environment/bin/python",
        PYSPARK_DRIVER_PYTHON=str(driver_env / "bin" / "python"),
    )
    cmd = [
        str(spark_submit),
        "--master",
        standalone_master,
        *submit[1:-3],  # --packages <delta> and the two Delta confs
        "--archives",
        f"{archive}#environment",
        *local_sizing_confs(),
        str(REPO / "jobs" / "extract.py"),
        f"landing.root={landing}",
        f"lake.root={lake}",
    ]
    proc = _run(cmd, cwd=tmp_path, env=env)  # not the checkout: imports must come from the archive

    assert "articles" in proc.stdout
    sources = deltalake.DeltaTable(str(lake / "sources")).to_pyarrow_table()
    assert sources.num_rows >= 4  # the 4 archives plus the generator's bare XMLs and broken inputs
    assert "ok" in sources.column("status").to_pylist()
    assert deltalake.DeltaTable(str(lake / "articles")).to_pyarrow_table().num_rows > 0
    assert deltalake.DeltaTable(str(lake / "figures")).to_pyarrow_table().num_rows > 0
    # The executors' Python workers ran from the archive Spark unpacked in their working directory.
    assert list((tmp_path / "work").glob("app-*/*/environment/bin/python"))
