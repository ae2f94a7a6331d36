"""The course website as the tests see it: built once per test session, served on localhost.

The build is the one the student edition's `make book` makes: the course is published into a
temporary folder with `make publish`'s code (the website students see is built from the student
edition), its lesson notebooks are executed in parallel into a cache of their own, and
`jupyter-book build` renders it, so that the browser tests see the executed outputs (plots). tests/test_book.py and
tests/browser/ share it through `built_site`, which builds on its first call and then returns the
same folder (or the same failure) for the rest of the session.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

import notebook_times
from course import ROOT
from dlcourse.course.book import ExecutionFailed, execute
from dlcourse.course.book import lesson_notebooks as book_lessons

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


def built_edition(out: Path) -> Path:
    """The student edition as `make publish` writes it (published once per session, into ``out``
    the first time): what the website is built from."""
    if "edition" not in _built:
        from dlcourse.course.publish import publish

        publish(out / "student-edition", ROOT)
        _built["edition"] = out / "student-edition"
    return _built["edition"]


def _build(out: Path) -> Path:
    if not MATHJAX.is_file():  # the site serves MathJax itself; fetch it the way `make book` does
        make = shutil.which("make")
        if make is None:
            raise RuntimeError(f"MathJax missing ({MATHJAX.relative_to(ROOT)}) and no `make` to fetch it")
        fetched = subprocess.run([make, "-s", "mathjax"], cwd=ROOT, capture_output=True, text=True)
        if fetched.returncode != 0:
            raise RuntimeError(f"`make mathjax` failed:\n{fetched.stdout}{fetched.stderr}")
    source = built_edition(out)
    shutil.copytree(MATHJAX.parent, source / "_build" / "vendor" / "mathjax")
    settings = yaml.safe_load((source / "_config.yml").read_text())
    settings["execute"]["execute_notebooks"] = "cache"
    settings["execute"]["cache"] = str(out / "jupyter_cache")
    if LOCAL_CACHE.is_dir():  # start from a copy of `make book`'s cache: only changed notebooks run
        shutil.copytree(LOCAL_CACHE, out / "jupyter_cache")

    def record(path: Path, seconds: float) -> None:
        notebook_times.record(path.relative_to(source).as_posix(), seconds)

    try:
        execute(source, out / "jupyter_cache", on_done=record)
    except ExecutionFailed as error:
        raise RuntimeError(str(error)) from None
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(settings))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "--path-output", str(out),
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
    return book_lessons(ROOT)


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
