"""The course website as the tests see it: built once per test session, served on localhost.

The build is the one `make book` makes (lesson notebooks executed, with a cache), into a temporary
folder with its own cache, so that the browser tests see the executed outputs (plots). tests/test_book.py and
tests/browser/ share it through `built_site`, which builds on its first call and then returns the
same folder (or the same failure) for the rest of the session.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

import notebook_times
from course import ROOT

CHAPTER_SLUGS = [
    "01-introduction", "02-neuron", "03-backprop", "04-mlp", "05-outputs-activations",
    "06-regularization", "07-optimization", "08-cnn", "09-sequence-models", "10-language-models",
    "11-graph-networks", "12-autoencoders", "13-gans",
]

# Where `make mathjax` puts MathJax (see the Makefile and html_static_path in _config.yml).
MATHJAX = ROOT / "_build" / "vendor" / "mathjax" / "tex-mml-chtml.js"

# `make book`'s execution cache. jupyter-cache matches a notebook by the hash of its code, so a copy
# of it re-runs exactly the notebooks whose code changed; the copy, not this folder, is written to.
LOCAL_CACHE = ROOT / "_build" / ".jupyter_cache"

_built: dict[str, object] = {}


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def sphinx_warnings(log: str) -> list[str]:
    """Sphinx's warnings in a build log (the kernels' own '[IPKernelApp] WARNING' lines are not)."""
    return [line for line in log.splitlines() if "WARNING" in line and not line.startswith("[IPKernelApp]")]


def _build(out: Path) -> Path:
    if not MATHJAX.is_file():  # the site serves MathJax itself; fetch it the way `make book` does
        make = shutil.which("make")
        if make is None:
            raise RuntimeError(f"MathJax missing ({MATHJAX.relative_to(ROOT)}) and no `make` to fetch it")
        fetched = subprocess.run([make, "-s", "mathjax"], cwd=ROOT, capture_output=True, text=True)
        if fetched.returncode != 0:
            raise RuntimeError(f"`make mathjax` failed:\n{fetched.stdout}{fetched.stderr}")
    settings = config()
    settings["execute"]["execute_notebooks"] = "cache"
    settings["execute"]["cache"] = str(out / "jupyter_cache")
    if LOCAL_CACHE.is_dir():  # start from a copy of `make book`'s cache: only changed notebooks run
        shutil.copytree(LOCAL_CACHE, out / "jupyter_cache")
    _execute_in_parallel(out / "jupyter_cache", lesson_notebooks(), settings["execute"]["timeout"])
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(settings))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
               "--config", str(config_path), "--warningiserror", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed:\n{log[-5000:]}")
    if sphinx_warnings(log):
        raise RuntimeError("jupyter-book build warned:\n" + "\n".join(sphinx_warnings(log)))
    return out / "_build" / "html"


def lesson_notebooks() -> list[Path]:
    """The notebooks of the table of contents that the build executes (lessons, not exercises)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for chapter in part["chapters"]
             for entry in [chapter, *chapter.get("sections", [])]]
    return [ROOT / f"{file}.ipynb" for file in files
            if file.startswith("book/") and (ROOT / f"{file}.ipynb").is_file()]


def _execute_in_parallel(cache_path: Path, notebooks: list[Path], timeout: int) -> None:
    """Execute the notebooks missing from the jupyter-cache at `cache_path`, one per CPU core, and
    cache them; the build then finds them there (it matches notebooks by the hash of their code)
    instead of executing them one after the other."""
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_cache import get_cache
    from jupyter_cache.executors.utils import create_cache_bundle, single_nb_execution

    cache = get_cache(str(cache_path))
    # Kernels inherit this process's environment: a non-interactive backend set by another module
    # would silently drop every figure from the site.
    os.environ.pop("MPLBACKEND", None)
    todo = []
    for path in notebooks:
        cache.add_nb_to_project(str(path))
        project_nb = cache.get_project_notebook(str(path))
        try:
            cache.match_cache_notebook(project_nb.nb)
        except KeyError:
            todo.append(project_nb)

    def execute(project_nb):
        return project_nb, single_nb_execution(project_nb.nb, cwd=str(Path(project_nb.uri).parent),
                                               timeout=timeout, allow_errors=False)

    with ThreadPoolExecutor(max(1, len(os.sched_getaffinity(0)))) as pool:
        for project_nb, result in pool.map(execute, todo):
            if result.err is not None:
                raise RuntimeError(f"{project_nb.uri} failed to execute:\n{result.exc_string}")
            notebook_times.record(Path(project_nb.uri).relative_to(ROOT).as_posix(), result.time)
            bundle = create_cache_bundle(project_nb, result.cwd, None, result.time, result.exc_string)
            cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)


def built_site(tmp_path_factory) -> Path:
    """The built website's html folder; builds it on the first call of the session."""
    if "html" not in _built:
        try:
            _built["html"] = _build(tmp_path_factory.mktemp("book"))
        except RuntimeError as error:
            _built["html"] = error
    if isinstance(_built["html"], RuntimeError):
        pytest.fail(str(_built["html"]), pytrace=False)
    return _built["html"]


def pages(site: Path) -> list[Path]:
    """Every HTML page of the site (not the theme's or MathJax's static files)."""
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in {"_static", "_sources"})


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a browser closing a page mid-transfer
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(site: Path):
    """Serve `site` on 127.0.0.1 on a free port from a background thread; returns (server, base_url)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/"


def chromium_path() -> str | None:
    """The system's Chromium (Debian's package; `make sysdeps` installs it)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None
