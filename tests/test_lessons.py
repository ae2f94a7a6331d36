"""The lessons' sources show no solution code, and one chapter's lessons run top to bottom.

Running a lesson is for `make test CHAPTER=NN-slug`: the whole run (`make test`) executes every
lesson once, in the website build of tests/website.py, so here each lesson is skipped unless
``--chapter`` chose its chapter (a notebook never runs twice in one test run). The website's own
leak test reads the built pages at the end of a long run; this one reads the sources in a second.
"""

from __future__ import annotations

import time

import nbformat
import pytest
from course import ROOT, chapters_with_exercises, page_text, read, solution_snippets
from nbclient import NotebookClient
from notebook_times import record

from dlcourse.course.book import ONE_THREAD, cell_timeout, lesson_notebooks

LESSONS = lesson_notebooks(ROOT)


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.parametrize("path", LESSONS, ids=[f"{p.parent.name}/{p.stem}" for p in LESSONS])
def test_lesson_runs_without_error(path, request, monkeypatch):
    if not request.config.getoption("chapter"):
        pytest.skip("the whole run executes every lesson in the website build (tests/website.py)")
    for name, value in ONE_THREAD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=cell_timeout(ROOT), kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    record(str(path.relative_to(ROOT)), time.perf_counter() - start)


def test_no_lesson_source_contains_solution_code():
    snippets = {snippet: slug for slug in chapters_with_exercises()
                for snippet in solution_snippets(read(ROOT / "solutions" / slug / f"{slug}.ipynb"))}
    texts = {path: page_text(path) for path in LESSONS}
    leaks = [f"{path.relative_to(ROOT)} shows {snippet!r} of the {slug} solution"
             for path, text in texts.items() for snippet, slug in snippets.items() if snippet in text]
    assert not leaks, "\n".join(leaks)
