"""Test-session setup shared by every test.

Tools installed beside the interpreter (nbgrader's `alembic`, `jupyter`) are found through PATH,
so the virtual environment's bin folder goes first, also when pytest is started without `make`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
