"""`ruff check` over the Python code of the course (src/, tests/, benchmarks/; notebooks are run, not
linted). The rules and their reasons are in pyproject.toml under [tool.ruff]."""

import subprocess
import sys

import pytest

from course import ROOT

LINTED = ["src", "tests", "benchmarks"]


def test_ruff_finds_nothing_in_src_tests_and_benchmarks():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *LINTED]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    if "No module named ruff" in result.stderr:
        pytest.fail("ruff is not installed; `make` installs it from requirements.lock", pytrace=False)
    if result.returncode != 0:
        pytest.fail(f"`ruff check {' '.join(LINTED)}` found problems:\n{result.stdout}{result.stderr}", pytrace=False)
