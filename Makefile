# The course's commands. Each one creates the virtual environment on first use.
#   make book       build the website into _build/html (executes lesson notebooks, cached)
#   make test       run every test (unit, grading pipeline, notebooks, book build)
#   make exercises  regenerate exercises/ (student versions) from solutions/ with nbgrader
#   make lock       re-pin requirements.lock from requirements.in

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

.PHONY: book test exercises lock venv sysdeps clean

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

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: $(STAMP) sysdeps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

exercises: $(STAMP)
	$(BIN)/python -m dlcourse.grading.release

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-emit-find-links \
	  --no-emit-index-url -o requirements.lock requirements.in
	sed -i 's/^torch==\(.*\)+cpu$$/torch==\1/' requirements.lock

clean:
	rm -rf _build
