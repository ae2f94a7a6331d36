"""Test-session setup shared by every test.

Tools installed beside the interpreter (nbgrader's `alembic`, `jupyter`) are found through PATH,
so the virtual environment's bin folder goes first, also when pytest is started without `make`.

Every generator is seeded before each test, and NumPy's BLAS and torch run on one thread each in
the test process (the tests' matrices are small; on a shared 2-core runner two OpenBLAS threads per
process made the MNIST test 20 times slower, from busy-waiting).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import dlcourse

os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")




@pytest.fixture(autouse=True, scope="session")
def one_thread():
    try:
        import torch
    except ImportError:
        torch = None
    torch_threads = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(1)
    with threadpool_limits(limits=1, user_api="blas"):
        yield
    if torch:
        torch.set_num_threads(torch_threads)


@pytest.fixture(autouse=True)
def seed_everything():
    """Seed dlcourse's generator, NumPy's legacy one and torch's (when installed)."""
    dlcourse.manual_seed(0)
    np.random.seed(0)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --- test tiers ------------------------------------------------------------------------------------
# `make test-fast` runs `pytest -m "not slow"`: the package, the grading helpers and the pipeline's
# stages. Slow modules say so with `pytestmark = pytest.mark.slow`; every notebook cell that nbval
# runs is marked here. `make test CHAPTER=NN-slug` passes `--chapter NN-slug`: only the tests whose
# id names that chapter run (its solution notebook, its grading, its lessons in tests/test_lessons.py).


def pytest_addoption(parser):
    parser.addoption("--chapter", action="append", default=[], metavar="NN-slug",
                     help="run only the tests of this chapter: its solution notebook, its grading and its lessons")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.slow)
    chapters = config.getoption("chapter")
    if not chapters:
        return
    from course import chapters_with_exercises

    known = chapters_with_exercises()
    unknown = sorted(set(chapters) - set(known))
    if unknown:
        raise pytest.UsageError(f"--chapter: no chapter {', '.join(unknown)}; the chapters are {', '.join(known)}")
    keep = [item for item in items if any(slug in item.nodeid for slug in chapters)]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep
