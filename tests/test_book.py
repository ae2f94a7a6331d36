"""The website builds offline with no warnings, lists every chapter, and leaks nothing.

The build here does not execute notebooks (nbval already runs each of them once in this test run);
`make book` builds the same site with execution and a cache.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from course import LEAK_MARKERS, ROOT, chapters_with_exercises, page_text, read, solution_snippets

CHAPTER_SLUGS = [
    "01-introduction", "02-neuron", "03-backprop", "04-mlp", "05-outputs-activations",
    "06-regularization", "07-optimization", "08-cnn", "09-sequence-models", "10-language-models",
    "11-graph-networks", "12-autoencoders", "13-gans",
]


class _Links(HTMLParser):
    """Collects the href of every <a> inside the sidebar navigation."""

    def __init__(self):
        super().__init__()
        self.depth, self.links = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "bd-docs-nav" in (attrs.get("class") or ""):
            self.depth = 1
        elif self.depth and tag == "nav":
            self.depth += 1
        if self.depth and tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if self.depth and tag == "nav":
            self.depth -= 1


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(config))
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--path-output", str(out),
               "--config", str(config_path), "--warningiserror", "--keep-going"]
    result = subprocess.run(command, capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    assert "WARNING" not in log, [line for line in log.splitlines() if "WARNING" in line]
    return out / "_build" / "html"


def test_toc_lists_every_chapter_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    assert files == [f"book/{slug}/index" for slug in CHAPTER_SLUGS]


def test_every_exercise_is_in_the_toc_after_its_lessons():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = {c["file"].split("/")[1]: c for part in toc["parts"] for c in part["chapters"]}
    for slug in chapters_with_exercises():
        sections = [s["file"] for s in chapters[slug].get("sections", [])]
        assert sections and sections[-1] == f"exercises/{slug}/{slug}", f"{slug}: exercise missing or not last"
        assert all((ROOT / f"{s}.ipynb").is_file() or (ROOT / f"{s}.md").is_file() for s in sections)


def test_sidebar_lists_all_chapters_in_order(site):
    parser = _Links()
    parser.feed((site / "book" / "index.html").read_text())  # the landing page
    chapter_links = [link for link in parser.links if re.search(r"\d\d-[a-z-]+/index\.html$", link)]
    slugs = [re.search(r"(\d\d-[a-z-]+)/index\.html$", link).group(1) for link in chapter_links]
    assert slugs == CHAPTER_SLUGS


def test_written_chapter_has_its_lessons_and_exercise(site):
    for slug in chapters_with_exercises():
        lessons = sorted((ROOT / "book" / slug).glob("*.ipynb"))
        assert 2 <= len(lessons) <= 3
        for lesson in lessons:
            assert (site / "book" / slug / f"{lesson.stem}.html").is_file()
        assert (site / "exercises" / slug / f"{slug}.html").is_file()


def test_site_contains_no_solution_or_hidden_test(site):
    snippets = [snippet for slug in chapters_with_exercises()
                for snippet in solution_snippets(read(ROOT / "solutions" / slug / f"{slug}.ipynb"))]
    assert snippets
    assert not (site / "solutions").exists() and not (site / "_sources" / "solutions").exists()
    for page in site.rglob("*"):
        if page.is_file() and page.suffix in {".html", ".ipynb", ".txt", ".js", ".md", ".py"}:
            raw = page.read_text(errors="replace")
            for marker in LEAK_MARKERS:
                assert marker not in raw, f"{page.relative_to(site)} contains {marker!r}"
            text = page_text(page)
            for snippet in snippets:
                assert snippet not in text, f"{page.relative_to(site)} contains solution code {snippet!r}"


def test_notebook_pages_have_launch_and_download_buttons(site):
    html = (site / "book" / "02-neuron" / "02-gradient-descent.html").read_text()
    for target in ("mybinder.org/v2/gh/", "colab.research.google.com/github/", "hub/user-redirect/git-pull"):
        assert target in html, f"no {target} launch link"
    assert "book/02-neuron/02-gradient-descent.ipynb" in html
    assert "download-source-button" in html
