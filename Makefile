# biomedica-spark: the developer's front door. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VENV35 := .venv-spark35
STAMP35 := $(VENV35)/.installed
VENVML := .venv-ml
STAMPML := $(VENVML)/.installed
DEMO_DIR ?= demo
PYTEST_FLAGS ?=
# Test processes (pytest-xdist). A Spark test is mostly one driver thread planning small jobs, so two
# processes keep both cores busy: about half the wall time on this 2-core machine. 0 runs in-process.
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder)
# Every lane prints its slowest tests, so a CI log shows where the time went.
DURATIONS = --durations=25
# pytest exits 5 when it collected nothing: a lane that runs no test is an error here, never a silent pass.
RUN_PYTEST = bash scripts/run_pytest.sh
# No pip cache: it would keep a second copy of every wheel, and the torch lane alone installs 5.7 GB
# (torch needs its CUDA wheels even on CPU). One CI run failed with "No space left on device" there.
PIP_INSTALL = -m pip install -q --no-cache-dir

.PHONY: help setup setup-spark35 setup-ml demo sql test test-slow test-spark35 test-ml build emr-venv maintain lint format typecheck bench spark-submit-line clean report chromium

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) --upgrade pip
	$(PY) $(PIP_INSTALL) -c requirements/constraints.txt -e '.[spark,dev]'
	$(PY) -m biomedica_spark.lake.session --fetch-jars
	touch $@

# The stamps' last step resolves the Delta jars into the Ivy cache, alone: parallel test workers that
# each start a session on a machine whose cache is still empty race inside Ivy and fail.
setup: $(STAMP) ## create .venv with the library, pyspark + delta-spark (jars resolved) and the dev tools

demo: $(STAMP) ## generate a sample corpus and run jobs/pipeline.py on it (local Spark + Delta); a re-run skips what is done
	$(PY) -m biomedica_spark.samples.cli out=$(DEMO_DIR)/landing profile=small archives=40 seed=7
	$(PY) jobs/pipeline.py landing.root=$(DEMO_DIR)/landing lake.root=$(DEMO_DIR)/lake export.out=$(DEMO_DIR)/export \
		pubmed.root=$(DEMO_DIR)/pubmed annotate.k=20 annotate.pca_components=10

sql: $(STAMP) ## run a query on the lake with every table registered: make sql Q="SELECT ... FROM biomedica.pairs" [LAKE=dir]
	@test -n "$$Q" || { echo 'usage: make sql Q="SELECT ... FROM biomedica.pairs" [LAKE=dir, default $(DEMO_DIR)/lake]'; exit 2; }
	@$(PY) jobs/sql.py lake.root=$(or $(LAKE),$(DEMO_DIR)/lake) --query "$$Q"

test: $(STAMP) chromium ## run the test suite (all but slow subprocess tests)
	$(RUN_PYTEST) $(PY) -m "not slow and not ml" $(XDIST) $(DURATIONS) $(PYTEST_FLAGS)

test-slow: $(STAMP) ## run the slow tests (kill and re-run, spark-submit) in subprocesses
	$(RUN_PYTEST) $(PY) -m slow $(XDIST) $(DURATIONS) $(PYTEST_FLAGS)

$(STAMP35): pyproject.toml requirements/spark35.txt
	$(PYTHON) -m venv $(VENV35)
	$(VENV35)/bin/python $(PIP_INSTALL) --upgrade pip
	$(VENV35)/bin/python $(PIP_INSTALL) -c requirements/spark35.txt -e '.[spark,dev]'
	$(VENV35)/bin/python -m biomedica_spark.lake.session --fetch-jars
	touch $@

setup-spark35: $(STAMP35) ## create .venv-spark35 (pyspark 3.5 + delta-spark 3.3) for the Spark 3.5 lane

# Spark 3.5 is an API-compatibility lane: every extract test, and every job once. The pipeline's first
# run covers extract, dedup (its connected components too), annotate and export end to end (its
# later runs, skips and incremental reruns, run on Spark 4 only); acquire, enrich and maintain
# (OPTIMIZE; its VACUUM tests take many minutes), which the pipeline skips there, run their own tests.
# The jobs' other Spark tests check behaviour that does not depend on the Spark version and run on
# Spark 4 in `make test`.
SPARK35_TESTS = $(addprefix tests/spark/test_,extract_generated.py extract_hostile.py extract_real_corpus.py \
	lake_registration.py lake_versions.py current_version.py delta_io_dedup.py \
	pipeline.py::test_a_first_run_runs_every_configured_step dedup_components.py \
	export_filters.py acquire_job.py enrich_job.py maintain.py::test_optimize_compacts_small_files_and_records_a_run)

test-spark35: $(STAMP35) ## run the extract tests and every job once on pyspark 3.5 + delta-spark 3.3
	$(RUN_PYTEST) $(VENV35)/bin/python -m "spark and not slow" $(SPARK35_TESTS) $(XDIST) $(DURATIONS) $(PYTEST_FLAGS)

$(STAMPML): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENVML)
	$(VENVML)/bin/python $(PIP_INSTALL) --upgrade pip
	$(VENVML)/bin/python $(PIP_INSTALL) -c requirements/constraints.txt -e '.[ml]' pytest pytest-timeout
	touch $@

setup-ml: $(STAMPML) ## create .venv-ml (torch on CPU) for the torch lane

test-ml: $(STAMPML) ## run the torch tests (DINOv2 embedder) in .venv-ml: PyPI's torch (~5.5 GB with CUDA libs), on CPU
	$(RUN_PYTEST) $(VENVML)/bin/python -m ml tests/ml $(PYTEST_FLAGS)

lint: $(STAMP) ## ruff lint + format check, mypy on the library
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy biomedica_spark

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP) ## run the benchmarks (never in CI); results go to bench/results/
	$(PY) bench/bench_extract.py
	$(PY) bench/dedup_eval.py
	$(PY) bench/bench_dedup.py
	$(PY) bench/bench_acquire.py
	$(PY) bench/bench_annotate.py
	$(PY) bench/bench_enrich.py
	$(PY) bench/bench_export.py

build: $(STAMP) ## build the wheel (library + conf/) into dist/
	rm -rf build dist/biomedica_spark-*.whl
	$(PY) -m pip wheel -q --no-deps -w dist .

emr-venv: build ## pack the EMR virtualenv (wheel + deps, no pyspark/delta-spark) into dist/venv.tar.gz
	PYTHON=$(PYTHON) bash deploy/emr/build_venv.sh dist/biomedica_spark-*.whl dist/venv.tar.gz

maintain: $(STAMP) ## OPTIMIZE + VACUUM the demo lake (DRY_RUN=true only lists what would happen)
	$(PY) jobs/maintain.py lake.root=$(DEMO_DIR)/lake maintain.dry_run=$(or $(DRY_RUN),false)

report: $(STAMP) ## render the HTML run report of the demo lake (funnel, dedup, concepts, lineage)
	$(PY) jobs/report.py lake.root=$(DEMO_DIR)/lake export.out=$(DEMO_DIR)/export

chromium: ## install Debian's chromium (the run report's browser test) when it is missing
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

spark-submit-line: $(STAMP) ## print the spark-submit line with the Delta package and confs
	@$(PY) -m biomedica_spark.lake.session --submit-line

clean: ## remove the demo output and build files (keeps .venv)
	rm -rf $(DEMO_DIR) build dist *.egg-info
