#!/usr/bin/env bash
# Build a packed virtualenv for `spark-submit --archives <out>#environment` on EMR (EC2 steps or
# Serverless): a fresh, non-editable install of the wheel and its dependencies, WITHOUT pyspark or
# delta-spark: the platform provides Spark and its own Delta, and a pip copy would shadow them.
#
# usage: deploy/emr/build_venv.sh WHEEL OUT.tar.gz
#   PYTHON    interpreter the venv is based on (default: python3). The packed venv links to it by path,
#             so it must be the cluster's: build inside an `amazonlinux:2023` container with
#             PYTHON=python3.11 (EMR 7 nodes: `dnf install -y python3.11` in a bootstrap action;
#             emr-spark-8.0.0 ships Python 3.11-3.13).
#   PIP_ARGS  extra pip arguments, e.g. "-c requirements/constraints.txt"
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 WHEEL OUT.tar.gz" >&2
  exit 2
fi
wheel=$(realpath "$1")
out=$(realpath -m "$2")
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/env"
pip_install() { "$work/env/bin/python" -m pip install -q --disable-pip-version-check ${PIP_ARGS:-} "$@"; }
pip_install "$wheel"
# The jobs also need the [spark] extra's other requirements (pandas): the platform provides only Spark.
readarray -t spark_extra < <("$work/env/bin/python" - <<'PY'
import importlib.metadata as md
import re

for requirement in md.requires("biomedica-spark") or []:
    spec, _, marker = requirement.partition(";")
    name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower()
    if re.search(r"extra\s*==\s*['\"]spark['\"]", marker) and name not in ("pyspark", "delta-spark"):
        print(spec.strip())
PY
)
if [ ${#spark_extra[@]} -gt 0 ]; then
  pip_install "${spark_extra[@]}"
fi

# Run the checks from outside any checkout, so only the installed wheel (and its conf/) can answer.
(cd "$work" && "$work/env/bin/python" - <<'PY'
import importlib.metadata as md
import sys

shipped = [name for name in ("pyspark", "delta-spark") if any(
    (d.metadata["Name"] or "").lower() == name for d in md.distributions())]
if shipped:
    sys.exit(f"the packed venv must not contain {shipped}: the platform provides them")

import biomedica_spark
from biomedica_spark.config import conf_dir, load_config

if "site-packages" not in biomedica_spark.__file__:
    sys.exit(f"biomedica_spark imports from {biomedica_spark.__file__}, not from the installed wheel")
load_config(["lake.mode=path"])
print(f"build_venv: biomedica_spark {biomedica_spark.__version__} with conf at {conf_dir()}")
PY
)

# venv-pack runs from its own venv so that it is not packed into the archive.
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q --disable-pip-version-check venv-pack
mkdir -p "$(dirname "$out")"
"$work/tools/bin/venv-pack" --prefix "$work/env" --output "$out" --force --quiet
echo "build_venv: wrote $out ($(du -h "$out" | cut -f1))"
