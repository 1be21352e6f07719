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

.PHONY: install browser run test dev daemon bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.synced

## Debian's chromium for the report test (installed with apt-get when missing and run as root)
browser:
	.ci/ensure-chromium

## Build the warehouse from the bundled real samples into ./warehouse (or $NHS_WAREHOUSE_HOME)
run: install
	$(VENV)/bin/nhs-warehouse build

## The whole test suite (what CI runs)
test: install browser
	$(VENV)/bin/pytest

## Dagster UI and daemon (sensors, schedules, automation) on http://127.0.0.1:3000 for this workspace
dev: install
	$(VENV)/bin/nhs-warehouse dev

## Benchmarks: ratios measured in one run (see bench/README.md)
bench: install
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf $(VENV) $(TOOLS) dbt/target

## The Dagster daemon alone (sensors, schedules, automation; no UI)
daemon: install
	$(VENV)/bin/nhs-warehouse daemon
