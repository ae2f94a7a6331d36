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
