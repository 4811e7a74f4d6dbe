# The few commands a reader needs. Each creates .venv and installs what is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
FIRST_PAGE := notebooks/00-how-to-use-this-book/00.00-how-to-use-this-book.ipynb
LAB_ARGS   ?=
# JupyterLab refuses to run as root unless told; containers and CI often are root.
ROOT_ARGS  := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test soak book bench lint typecheck pytest nbval html clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "dslib needs Python 3.11 or newer, this is " + sys.version' 
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make lab: open JupyterLab on the book's first page (the book's notebooks signed as trusted,
## settings from tools/lab/overrides.json: no news pop-up)
lab: $(STAMP)
	@$(PY) tools/trust_notebooks.py notebooks
	HYPOTHESIS_STORAGE_DIRECTORY="$(CURDIR)/.hypothesis" $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
	    --LabApp.app_settings_dir="$(CURDIR)/tools/lab" \
	    --LabApp.default_url=/lab/tree/$(FIRST_PAGE) $(ROOT_ARGS) $(LAB_ARGS)

# (HYPOTHESIS_STORAGE_DIRECTORY: kernels run in a notebook's folder; hypothesis keeps its
# cache in the repository's .hypothesis rather than one per folder of notebooks/)
## make test: everything CI checks: lint, types, library tests, doctests, strict nbval, the HTML
## (the 40 slowest items are listed at the end of the tests' output: where the time budget goes)
test: lint typecheck pytest html

lint: $(STAMP)
	$(PY) -m ruff check conftest.py dslib tests benchmarks tools solutions
	$(PY) -m ruff format --check conftest.py dslib tests benchmarks tools solutions

typecheck: $(STAMP)
	$(PY) -m mypy

pytest: $(STAMP)
	MPLBACKEND=Agg HYPOTHESIS_STORAGE_DIRECTORY="$(CURDIR)/.hypothesis" $(PY) -m pytest -n 2 --dist loadfile --doctest-modules dslib tests \
	    --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 120 \
	    --durations=40

## make soak: the suite's properties with fresh randomness and many more examples, plus the
## seeded sweeps on fresh seeds, for SOAK_MINUTES (not part of make test; prints how to
## reproduce every failure)
SOAK_MINUTES ?= 60
soak: $(STAMP)
	MPLBACKEND=Agg $(PY) tools/soak.py --minutes $(SOAK_MINUTES)

## make book: re-execute every notebook in place, top to bottom, in a fresh kernel
book: $(STAMP)
	$(PY) tools/run_notebooks.py notebooks

## make html: the book as a static website in build/html (open build/html/index.html), from
## the stored outputs (nothing is executed); warnings are errors, then every internal link
## and anchor is checked (no network)
html: $(STAMP)
	rm -rf build/html build/doctrees build/jupyter_execute
	$(PY) -m sphinx -W --keep-going -j 2 -b html -c docs -d build/doctrees . build/html
	$(PY) tools/check_html.py build/html

## make bench: the speed and memory benchmarks (prints tables)
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
