"""Execute the lesson notebooks of the website, one kernel per CPU core, before ``jupyter-book build``.

Jupyter Book runs a book's notebooks one after the other. ``make book`` first runs this module,
which executes every lesson that is not yet in the book's execution cache (jupyter-cache, matched by
the hash of a notebook's code) with one kernel per core, and stores the results there; the build
then finds every notebook in the cache and only renders. Each kernel gets one BLAS/OpenMP thread
(the variables are set in its environment), so kernels side by side do not oversubscribe the cores:
on a busy machine, several threads per kernel made the slowest training cells several times slower.

Usage: ``dlcourse book [--cache DIR] [--jobs N]`` from the course folder (``make book`` runs it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: Thread settings of every kernel (PyTorch reads OMP_NUM_THREADS, NumPy's OpenBLAS its own).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ExecutionFailed(RuntimeError):
    """A lesson notebook raised an error or ran past the cell time limit."""


def lesson_notebooks(root: Path) -> list[Path]:
    """The notebooks of the table of contents that the build executes (lessons, not exercises)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for chapter in part["chapters"]
             for entry in [chapter, *chapter.get("sections", [])]]
    return [root / f"{file}.ipynb" for file in files
            if file.startswith("book/") and (root / f"{file}.ipynb").is_file()]


def cell_timeout(root: Path) -> int:
    """The per-cell limit of ``_config.yml`` (``execute.timeout``), in seconds."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text()) or {}
    return int((config.get("execute") or {}).get("timeout", 300))


def execute(root: Path, cache_path: Path, jobs: int | None = None,
            on_done: Callable[[Path, float], None] | None = None) -> list[Path]:
    """Execute the lessons of ``root`` missing from the jupyter-cache at ``cache_path`` and cache them.

    Returns the notebooks executed; ``on_done(path, seconds)`` is called for each. Raises
    ExecutionFailed, naming the notebook and its error, when one fails."""
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_cache import get_cache
    from jupyter_cache.executors.utils import create_cache_bundle, single_nb_execution

    cache = get_cache(str(cache_path))
    todo = []
    for path in lesson_notebooks(root):
        cache.add_nb_to_project(str(path))
        project_nb = cache.get_project_notebook(str(path))
        try:
            cache.match_cache_notebook(project_nb.nb)
        except KeyError:
            todo.append(project_nb)
    if not todo:
        return []
    # Kernels inherit this process's environment: one thread each, and matplotlib's default backend
    # (a non-interactive backend set by another module would drop every figure from the site).
    os.environ.update(ONE_THREAD)
    os.environ.pop("MPLBACKEND", None)
    timeout = cell_timeout(root)

    def run(project_nb):
        return project_nb, single_nb_execution(project_nb.nb, cwd=str(Path(project_nb.uri).parent),
                                               timeout=timeout, allow_errors=False)

    executed = []
    workers = jobs or max(1, len(os.sched_getaffinity(0)))
    with ThreadPoolExecutor(workers) as pool:
        for project_nb, result in pool.map(run, todo):
            path = Path(project_nb.uri)
            if result.err is not None:
                raise ExecutionFailed(f"{path.relative_to(root)} failed to execute:\n{result.exc_string}")
            bundle = create_cache_bundle(project_nb, result.cwd, None, result.time, result.exc_string)
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
            executed.append(path)
            if on_done is not None:
                on_done(path, result.time)
    return executed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``dlcourse book``."""
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    parser.add_argument("--cache", type=Path, help="the execution cache (default: ROOT/_build/.jupyter_cache, "
                        "where `jupyter-book build` looks)")
    parser.add_argument("--jobs", type=int, help="kernels at once (default: one per CPU core)")


def run(args: argparse.Namespace) -> int:
    """Execute the lessons missing from the cache; 0, or 1 naming the notebook that failed."""
    root = args.root.resolve()
    start = time.perf_counter()

    def report(path: Path, seconds: float) -> None:
        print(f"{seconds:6.1f} s  {path.relative_to(root)}", flush=True)

    try:
        executed = execute(root, args.cache or root / "_build" / ".jupyter_cache", args.jobs, report)
    except ExecutionFailed as error:
        print(error, file=sys.stderr)
        return 1
    print(f"executed {len(executed)} lesson notebooks in {time.perf_counter() - start:.0f} s "
          "(the others were unchanged and are cached)")
    return 0

