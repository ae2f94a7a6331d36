# The course's commands. Each one creates the virtual environment on first use.
#   make book       build the website into _build/html (executes lesson notebooks, cached)
#   make publish DEST=folder  write the student edition (no solutions, hidden tests or fixtures) into folder
#   make test       run every test (unit, grading pipeline, notebooks, book build): CI's command
#   make test CHAPTER=08-cnn   one chapter: its solution notebook, its grading and its lessons
#   make test-fast  the package, the grading helpers and the pipeline's stages (under two minutes)
#   make exercises  regenerate exercises/ (student versions) from solutions/ with nbgrader
#                   (CHAPTERS="NN-slug ..." for some chapters only)
#   make install-cells  after changing repository.url in _config.yml: update every notebook's install cell
#   make lock       re-pin requirements.lock from requirements.in
#   make mathjax    fetch MathJax (npm package, checksum-verified) so the website renders maths offline

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed

# Course data (MNIST, ...): the loaders read the folder named by DLCOURSE_DATA. Default to a
# `shared/data` folder beside the repository when there is one.
ifeq ($(origin DLCOURSE_DATA), undefined)
  ifneq ($(wildcard ../shared/data/SHA256SUMS),)
    export DLCOURSE_DATA := $(abspath ../shared/data)
  endif
endif
export PATH := $(BIN):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: book test test-fast publish exercises install-cells lock venv sysdeps mathjax clean

venv: $(STAMP)

# System programs some tests drive: Debian's Chromium (browser tests of the website) and
# bubblewrap (the grading sandbox). Installed with apt-get when missing and running as root.
SYSTEM_COMMANDS := chromium:chromium bwrap:bubblewrap
sysdeps:
	@missing=""; for pair in $(SYSTEM_COMMANDS); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages (some tests will be skipped):$$missing"; fi; fi

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# MathJax 3 from its npm package (fetched with `npm pack`, checksum-verified), served by the website itself (no CDN): _config.yml points Sphinx's
# mathjax_path at it and copies $(MATHJAX_DIR) into the site's _static folder.
MATHJAX_VERSION := 3.2.2
MATHJAX_SHA256 := 1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09
MATHJAX_DIR := _build/vendor/mathjax
MATHJAX_PARTS := LICENSE es5/tex-mml-chtml.js es5/input es5/output/chtml es5/a11y es5/ui es5/sre

mathjax: $(MATHJAX_DIR)/.version-$(MATHJAX_VERSION)

$(MATHJAX_DIR)/.version-$(MATHJAX_VERSION):
	rm -rf $(MATHJAX_DIR) $(MATHJAX_DIR).part && mkdir -p $(MATHJAX_DIR).part
	cd $(MATHJAX_DIR).part && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && mv mathjax-$(MATHJAX_VERSION).tgz mathjax.tgz
	echo "$(MATHJAX_SHA256)  $(MATHJAX_DIR).part/mathjax.tgz" | sha256sum --check --quiet
	tar -xzf $(MATHJAX_DIR).part/mathjax.tgz -C $(MATHJAX_DIR).part $(addprefix package/,$(MATHJAX_PARTS))
	mv $(MATHJAX_DIR).part/package/es5 $(MATHJAX_DIR)
	mv $(MATHJAX_DIR).part/package/LICENSE $(MATHJAX_DIR)/LICENSE
	rm -rf $(MATHJAX_DIR).part
	touch $@

# One BLAS/OpenMP thread per kernel, as in `make test`: the lessons first run one kernel per core
# (`dlcourse book`, into the build's cache), then Jupyter Book renders from that cache.
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

book: $(STAMP) mathjax
	$(ONE_THREAD) $(BIN)/dlcourse book
	$(ONE_THREAD) $(BIN)/jupyter-book build . --warningiserror --keep-going

# The instructors' source has solutions/; the student edition (written by `make publish`) has not,
# and there only venv, sysdeps, mathjax, book and clean apply.
ifneq ($(wildcard solutions/*/*.ipynb),)
# One BLAS thread per process: the tests already run two kernels or graders side by side.
test: $(STAMP) sysdeps mathjax
	$(ONE_THREAD) $(BIN)/python -m pytest $(if $(CHAPTER),$(addprefix --chapter ,$(CHAPTER))) $(PYTEST_ARGS)

# Two workers (pytest-xdist): the fast tier's tests are independent and mostly single-threaded.
test-fast: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest -m "not slow" -n 2 --durations=10 $(PYTEST_ARGS)

# The student edition (what students, Binder, Colab and the JupyterHub get): see README.md, "Two editions".
publish: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make publish DEST=folder [PUBLISH_ARGS='--jupyterhub-url https://hub...']"; exit 2; }
	$(BIN)/dlcourse publish $(DEST) $(PUBLISH_ARGS)

# `make exercises CHAPTERS="06-regularization"` regenerates some chapters only.
exercises: $(STAMP)
	$(BIN)/dlcourse release $(CHAPTERS)

# After changing repository.url in _config.yml (a fork): rewrite the install cell of every notebook.
install-cells: $(STAMP)
	$(BIN)/dlcourse install-cells
	$(MAKE) exercises
else
test test-fast publish exercises install-cells:
	@echo "make $@: this is the student edition of the course, which has no solutions or tests;"
	@echo "run it in the instructors' source and publish again"; exit 2
endif

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-find-links \
	  --no-emit-index-url -o requirements.lock requirements.in
	sed -i 's/^torch==\(.*\)+cpu$$/torch==\1/' requirements.lock

clean:
	rm -rf _build
