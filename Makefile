# Two commands on a fresh clone: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANIFEST := dbt_project/target/manifest.json
# DuckDB 1.0, the oldest client a BI driver ships: the tests open the serving copy with it.
DUCKDB1 := .venv-duckdb1/bin/python
# Apache Superset, for the test that imports `campaign-dw bi export superset` into it: its own
# environment (it pins SQLAlchemy < 2 and DuckDB < 2, which the project's cannot share).
SUPERSET := .venv-superset/bin/superset
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)

.PHONY: setup run lint test test-fast bench ui dashboard docs spark-cluster clean

setup: $(BIN)/campaign-dw $(MANIFEST) $(DUCKDB1)

# The virtual environment, pinned by requirements.lock (regenerate it with `make lock`).
$(BIN)/campaign-dw: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,spark]'
	touch $@

$(DUCKDB1):
	$(PYTHON) -m venv .venv-duckdb1
	.venv-duckdb1/bin/pip install --quiet duckdb==1.0.0

$(SUPERSET):
	$(PYTHON) -m venv .venv-superset
	.venv-superset/bin/pip install --quiet 'apache-superset[duckdb]==6.1.0' rich cachetools flask-caching==2.4.1
	touch $@

# The dbt manifest Dagster reads is prepared here, never at import time in production;
# any change to the dbt project makes it stale and `make` refreshes it.
$(MANIFEST): $(BIN)/campaign-dw $(DBT_SOURCES)
	$(BIN)/campaign-dw parse

# The sample reaches a warehouse only when someone loads it: here, explicitly.
run: setup
	$(BIN)/campaign-dw build --landing seeds

# Two workers (pytest-xdist): most of a test's time is one process waiting on another (dbt,
# Dagster, Spark's JVM, a browser), so two share the machine's cores well. PYTEST_WORKERS=0: one.
PYTEST_WORKERS ?= 2
test: setup $(SUPERSET) lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

# The edit-test loop: everything but the slow tier (generated warehouses, kills, Spark, browser).
test-fast: setup lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow"

# ruff, configured in pyproject.toml (also a pre-commit hook: .pre-commit-config.yaml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/bench.py

ui: setup
	$(BIN)/campaign-dw ui

dashboard: setup
	$(BIN)/campaign-dw dashboard

docs: setup
	$(BIN)/campaign-dw docs

# A local Spark standalone cluster with a Thrift server, for CAMPAIGN_DW_SPARK_METHOD=thrift builds
# (`campaign-dw spark-cluster stop` ends it).
spark-cluster: setup
	$(BIN)/campaign-dw spark-cluster start

lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .venv-duckdb1 .venv-superset dbt_project/target dbt_project/target-tests dbt_project/logs warehouse .dagster_home
