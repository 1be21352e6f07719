# The two commands a newcomer needs: `make run` and `make test`. Both install everything first:
# uv (bootstrapped into .tools/ from PyPI) and the locked environment (.venv from uv.lock).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install install-spark browser run test test-fast test-parity lint dev daemon bench bench-fast clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --compile-bytecode: every process (the CLI, each Dagster run, dbt, each test's subprocess) then
# reads .pyc files instead of compiling ~3,000 modules from source. Environments that set
# PYTHONDONTWRITEBYTECODE (CI here does) never write them, which cost 4-5 s of every process start.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

# The dbt manifest the Dagster definitions are built from, prepared by dagster-dbt whenever a dbt
# file changed (never at import: dagster_project/assets/dbt_project.py).
DBT_MANIFEST := dbt/target/manifest.json
DBT_FILES := dbt/dbt_project.yml dbt/profiles.yml $(shell find dbt/models dbt/macros dbt/seeds dbt/tests dbt/snapshots -type f 2>/dev/null)
$(DBT_MANIFEST): $(VENV)/.synced $(DBT_FILES)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dagster-dbt project prepare-and-package --file dagster_project/assets/dbt_project.py >/dev/null
	touch $@

install: $(VENV)/.synced $(DBT_MANIFEST)
	@$(VENV)/bin/python -m compileall -q dagster_project tests bench >/dev/null

# Spark (pyspark, dbt-spark: ~450 MB) is an optional dependency group, installed into a venv of its
# own so `make run` and `make test` stay lean and never see pyspark (GX changes its imports when it is present).
SPARK_VENV := .venv-spark
$(SPARK_VENV)/.synced: uv.lock pyproject.toml | $(UV)
	UV_PROJECT_ENVIRONMENT=$(SPARK_VENV) $(UV) sync --frozen --quiet --compile-bytecode --group spark
	touch $@

install-spark: $(SPARK_VENV)/.synced

## Debian's chromium for the report test (installed with apt-get when missing and run as root)
browser:
	.ci/ensure-chromium

## Build the warehouse from the bundled real samples into ./warehouse (or $NHS_WAREHOUSE_HOME)
run: install
	$(VENV)/bin/nhs-warehouse build

## The whole test suite (what CI runs), on two workers (pytest-xdist; one per core here)
# PYTEST_ARGS: more pytest arguments (CI passes --basetemp, to hand the session's built home to test-parity).
# --dist worksteal: a worker that runs out of tests takes the other's pending ones, so neither idles
# while the other waits on the shared built home or runs the kill loop (1,030 s against 1,126 s with
# the default, one run each on a quiet machine).
test: install browser
	$(VENV)/bin/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

## The inner loop (a few minutes): everything but what builds whole warehouses, starts servers or kills processes
test-fast: install
	$(VENV)/bin/pytest -n 2 --dist worksteal -m "not slow and not system and not faults and not parity"

## The same dbt project built on DuckDB and on Spark (dbt-spark, local session), every mart compared row for row
test-parity: install-spark
	$(SPARK_VENV)/bin/pytest -m parity tests/parity

## Lint: ruff (errors and likely bugs; pyproject [tool.ruff]), mypy on the package ([tool.mypy]), sqlfluff on the
## dbt models (.sqlfluff). The same three run as pre-commit hooks (.pre-commit-config.yaml) and in CI.
## All three run whatever the first finds, so one run shows every finding.
lint: $(VENV)/.synced
	status=0; \
	$(VENV)/bin/ruff check || status=1; \
	$(VENV)/bin/ruff format --check || status=1; \
	$(VENV)/bin/mypy dagster_project || status=1; \
	$(VENV)/bin/sqlfluff lint dbt/models || status=1; \
	exit $$status

## Dagster UI and daemon (sensors, schedules, automation) on http://127.0.0.1:3000 for this workspace
dev: install
	$(VENV)/bin/nhs-warehouse dev

## Benchmarks: ratios measured in one run (see bench/README.md); DuckDB vs Spark runs Spark from the spark venv
bench: install install-spark
	$(VENV)/bin/python -m bench.run

## The fast-feedback figures (make run, one more month, event latency...) for this checkout and the one before that work
bench-fast: install
	$(VENV)/bin/python -m bench.fast

clean:
	rm -rf $(VENV) $(SPARK_VENV) $(TOOLS) dbt/target

## The Dagster daemon alone (sensors, schedules, automation; no UI)
daemon: install
	$(VENV)/bin/nhs-warehouse daemon
