"""Execute every lesson and solution notebook once and print how long each took.

Run:  python benchmarks/notebook_times.py [PATH ...]   (default: book/*/*.ipynb and solutions/*/*.ipynb)

The course's budget is 60 s per notebook on 2 CPU cores; the test run prints the same table, this
script measures one notebook at a time on an otherwise idle machine. Not a test.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 60


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.paths or sorted(ROOT.glob("book/*/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))
    over = 0
    for path in paths:
        seconds = execute(path)
        over += seconds > BUDGET_SECONDS
        flag = "  OVER BUDGET" if seconds > BUDGET_SECONDS else ""
        print(f"{seconds:7.1f} s  {path.resolve().relative_to(ROOT)}{flag}", flush=True)
    print(f"{len(paths)} notebooks, {over} over the {BUDGET_SECONDS} s budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
