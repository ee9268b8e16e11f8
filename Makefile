# The kit's two commands:  make lab  (set up, open JupyterLab)  ·  make test  (set up, run every test)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2
EXTRAS ?= test
# GPU=1: replace tensorflow-cpu with tensorflow[and-cuda] (self-hosted GPU runners).
GPU ?=
# Data: ../shared/data when it exists beside the checkout; any KITLIB_DATA_DIR you set wins.
KITLIB_DATA_DIR ?= $(abspath $(wildcard ../shared/data))
export KITLIB_DATA_DIR
STAMP := $(VENV)/.kitlib-installed
NBVAL_ENV := KITLIB_OFFLINE=1 KITLIB_HEADLESS=1 KITLIB_WORK_DIR=$(CURDIR)/build/nbval/work KITLIB_METRICS_DIR=$(CURDIR)/build/nbval/metrics

.PHONY: setup data lab lint translations translations-status test test-unit-and-notebooks test-browser test-binder test-nbval test-full baselines notebooks student instructor bench clean help

help:
	@echo "make lab    set up (venv, kit, data) and open JupyterLab on notebooks/"
	@echo "make test   set up, lint, and run every test (unit, notebooks smoke, nbval, browser, binder)"
	@echo "make lint   ruff check . (configuration in pyproject.toml)"
	@echo "make test-full   notebooks in full mode against baselines (GPU runners: GPU=1 KITLIB_TOLERANCE=gpu)"
	@echo "make notebooks   re-execute the committed notebooks in place (after changing them)"
	@echo "make baselines   re-record tests/baselines/{smoke,full}/ (review the diff!)"
	@echo "make student     notebooks without solution cells, outputs cleared, in build/student/"
	@echo "make instructor  the same with solutions, in build/instructor/"
	@echo "make bench       run the benchmarks in bench/"
	@echo "make translations         re-extract translations/<lang>/*.po and kitlib's catalogs, build (and run) notebooks/ko, notebooks/th"
	@echo "make translations-status  per notebook and language: translated / fuzzy / untranslated messages"

$(STAMP): pyproject.toml binder/overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	if [ -n "$(GPU)" ]; then \
	  $(BIN)/python -m pip uninstall --quiet -y tensorflow-cpu && \
	  $(BIN)/python -m pip install --quiet "tensorflow[and-cuda]>=2.21,<2.22"; fi
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	mkdir -p $(VENV)/share/jupyter/lab/settings && cp binder/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

setup: $(STAMP) data

data: $(STAMP)
	$(BIN)/python -m kitlib data --install --require mnist

lab: setup
	$(BIN)/jupyter lab --ip=127.0.0.1 --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/python -m ruff check .

test: setup lint test-unit-and-notebooks test-nbval test-browser test-binder

test-unit-and-notebooks: $(STAMP)
	KITLIB_OFFLINE=1 $(BIN)/python -m pytest tests -n $(JOBS) --durations=10 \
	  --ignore=tests/browser --ignore=tests/binder

test-browser: $(STAMP)
	KITLIB_OFFLINE=1 KITLIB_HEADLESS=0 $(BIN)/python -m pytest tests/browser -p no:xdist

test-binder: $(STAMP)
	KITLIB_OFFLINE=1 $(BIN)/python -m pytest tests/binder -p no:xdist

test-nbval: $(STAMP)
	rm -rf build/nbval
	$(NBVAL_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks -n $(JOBS) --dist loadfile -p no:cacheprovider
	$(BIN)/python tests/check_metrics.py full build/nbval/metrics

test-full: setup
	KITLIB_OFFLINE=1 $(BIN)/python -m pytest tests/notebooks/test_notebooks.py --mode full -n $(JOBS)

baselines: setup
	KITLIB_OFFLINE=1 $(BIN)/python tools/ensemble.py run --jobs $(JOBS)
	$(BIN)/python tools/ensemble.py record

notebooks: setup
	KITLIB_OFFLINE=1 KITLIB_HEADLESS=1 $(BIN)/python tools/refresh_notebooks.py

student: $(STAMP)
	$(BIN)/python -m kitlib student build/student

instructor: $(STAMP)
	$(BIN)/python -m kitlib instructor build/instructor

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

# Editions: English notebooks → translations/<lang>/*.po → notebooks/<lang>/ (tools/translations.py).
translations: $(STAMP)
	$(BIN)/python tools/translations.py extract
	KITLIB_OFFLINE=1 KITLIB_HEADLESS=1 $(BIN)/python tools/translations.py build --execute

translations-status: $(STAMP)
	@$(BIN)/python tools/translations.py status

clean:
	rm -rf build work
