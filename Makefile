# cloud-inventory: `make demo` and `make test` do all set-up on a fresh machine (Python 3.11 + the package index).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

# The project's own Airflow home and paths; a caller's INVENTORY_* and AWS_ENDPOINT_URL pass through.
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(CURDIR)/plugins$(if $(PYTHONPATH),:$(PYTHONPATH))
INVENTORY_AWS_POOL ?= aws_inventory
INVENTORY_AWS_POOL_SLOTS ?= 8

.PHONY: help venv chromium demo test screenshots airflow dag airflow-db bench clean

help:
	@echo "make demo                       run aws_inventory on the embedded demo estate for three days"
	@echo "make test                       run the test suite"
	@echo "make screenshots                the explorer's browser tests, writing one PNG per page into docs/explorer/"
	@echo "make airflow                    the Airflow UI (standalone) on the demo estate"
	@echo "make dag ID=<dag_id> DATE=<YYYY-MM-DD>   one DAG run through 'airflow dags test --use-executor', at most INVENTORY_AWS_POOL_SLOTS (8) tasks at once"
	@echo "make bench                      benchmarks: extraction (bench/extract.py), Kubernetes dump parsing (bench/k8s_parse.py), marts build (bench/marts.py), explorer (bench/explorer.py, bench/resource_page.py), against peers (bench/peers.py)"

venv: $(VENV)/.installed $(VENV)/.plugins-on-path

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	# Byte-compile once: every Airflow task, `airflow dags test` and test subprocess imports Airflow and GX anew,
	# and with PYTHONDONTWRITEBYTECODE set they would otherwise recompile thousands of modules each time.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $@

# The venv's Python finds the project's package without PYTHONPATH: `.venv/bin/python -m cloud_inventory ...`
# (find, changes, sql) works from any folder, as the README shows it.
$(VENV)/.plugins-on-path: $(VENV)/.installed
	$(BIN)/python -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], \
	    'cloud_inventory_plugins.pth').write_text('$(CURDIR)/plugins\n')"
	touch $@

# Airflow's metadata database (SQLite under AIRFLOW_HOME), migrated when behind the installed Airflow, and the pool
# that bounds concurrent API callers; in one process (plugins/cloud_inventory/airflow_local.py).
POOL_ARGS = --pool $(INVENTORY_AWS_POOL) --slots $(INVENTORY_AWS_POOL_SLOTS)
airflow-db: venv
	$(BIN)/python -m cloud_inventory.airflow_local db $(POOL_ARGS)

demo: airflow-db
	$(BIN)/python -m cloud_inventory.demo.run

# The explorer's browser tests drive Debian's Chromium. CI runs as root, so there it is installed when missing (apt
# lists are refreshed only if the install fails without); anyone else without it sees those tests skipped, saying why.
CHROMIUM_LOG := $(or $(TMPDIR),/tmp)/cloud-inventory-chromium-install.log
chromium:
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make: chromium is missing and this is not root: the browser tests will be skipped (apt-get install chromium)"; \
	  else \
	    echo "make: installing Debian's chromium for the browser tests (log: $(CHROMIUM_LOG))"; \
	    install="apt-get install -y -qq --no-install-recommends chromium"; \
	    { DEBIAN_FRONTEND=noninteractive $$install || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$install; }; } \
	      > $(CHROMIUM_LOG) 2>&1 || { tail -20 $(CHROMIUM_LOG); exit 1; }; \
	  fi; }

test: venv chromium
	$(BIN)/python -m pytest

# The PNGs the README shows: the browser tests write one per page of the explorer into docs/explorer/.
screenshots: venv chromium
	CLOUD_INVENTORY_SCREENSHOTS=$(CURDIR)/docs/explorer $(BIN)/python -m pytest tests/explorer/test_browser.py -q

airflow: airflow-db
	$(BIN)/python -m cloud_inventory.demo.standalone

# `airflow dags test --use-executor` with the LocalExecutor and its own execution API server (airflow_local.py): mapped
# tasks run concurrently, at most INVENTORY_AWS_POOL_SLOTS at once; it prepares the database itself.
dag: venv
	@test -n "$(ID)" -a -n "$(DATE)" || { echo "usage: make dag ID=<dag_id> DATE=<YYYY-MM-DD>"; exit 2; }
	$(BIN)/python -m cloud_inventory.airflow_local dag $(ID) $(DATE) $(POOL_ARGS)

# all run even when one misses a target; the exit status is the last failure's
bench: venv
	status=0; \
	$(BIN)/python bench/extract.py || status=$$?; \
	$(BIN)/python bench/k8s_parse.py || status=$$?; \
	$(BIN)/python bench/marts.py || status=$$?; \
	$(BIN)/python bench/explorer.py || status=$$?; \
	$(BIN)/python bench/resource_page.py || status=$$?; \
	$(BIN)/python bench/peers.py || status=$$?; \
	exit $$status

clean:
	rm -rf $(AIRFLOW_HOME) data .pytest_cache
