"""The website builds offline with no warnings, lists every chapter, and leaks nothing.

The site is built once per test session by tests/website.py, as `make book` builds it (lesson
notebooks executed, cache in the session's temporary folder); tests/browser/ drives the same site
in Chromium.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from course import LEAK_MARKERS, ROOT, chapters_with_exercises, page_text, read, solution_snippets
from website import CHAPTER_SLUGS, MATHJAX, built_site, lesson_notebooks, pages

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out


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


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


def test_toc_lists_every_chapter_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    chapters = [f for f in files if not f.startswith("book/appendix-")]
    appendices = [f for f in files if f.startswith("book/appendix-")]
    assert chapters == [f"book/{slug}/index" for slug in CHAPTER_SLUGS]
    assert files == chapters + appendices, "the appendices come after chapter 13"
    assert [f.split("/")[1][:10] for f in appendices] == sorted(f.split("/")[1][:10] for f in appendices)


def test_every_exercise_is_in_the_toc_after_its_lessons():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = {c["file"].split("/")[1]: c for part in toc["parts"] for c in part["chapters"]}
    for slug in chapters_with_exercises():
        sections = [s["file"] for s in chapters[slug].get("sections", [])]
        assert sections and sections[-1] == f"exercises/{slug}/{slug}", f"{slug}: exercise missing or not last"
        assert all((ROOT / f"{s}.ipynb").is_file() or (ROOT / f"{s}.md").is_file() for s in sections)


def test_every_notebook_in_book_is_in_the_toc_so_the_build_executes_it():
    # The website build is where lesson notebooks execute in the test run (not nbval): a notebook
    # left out of the table of contents would never run.
    assert set(lesson_notebooks()) == set(ROOT.glob("book/*/*.ipynb"))


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
    for target in ("mybinder.org/v2/gh/", "colab.research.google.com/github/"):
        assert target in html, f"no {target} launch link"
    assert "hub/user-redirect/git-pull" not in html, "a JupyterHub button, but no hub is configured"
    assert "book/02-neuron/02-gradient-descent.ipynb" in html
    assert "download-source-button" in html


class _Resources(HTMLParser):
    """The addresses a page loads by itself (scripts, stylesheets, icons, images) and its images' alt."""

    def __init__(self):
        super().__init__()
        self.loads, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "icon", "modulepreload", "prefetch", "manifest"}:
            self.loads.append(attrs["href"])
        if tag == "img":
            self.images.append((attrs.get("src", ""), attrs.get("alt")))


def _resources(page: Path) -> _Resources:
    parser = _Resources()
    parser.feed(page.read_text())
    return parser


def test_pages_load_nothing_from_another_host(site):
    checked = pages(site)
    assert len(checked) >= 17  # landing, 13 chapters, lessons, exercise, search
    for page in checked:
        remote = [url for url in _resources(page).loads if re.match(r"(https?:)?//", url)]
        assert not remote, f"{page.relative_to(site)} loads {remote}"


def test_maths_is_rendered_by_the_sites_own_mathjax(site):
    assert MATHJAX.is_file()
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").stat().st_size == MATHJAX.stat().st_size
    loads = _resources(site / "book" / "02-neuron" / "02-gradient-descent.html").loads
    assert any(re.fullmatch(r"\.\./\.\./_static/mathjax/tex-mml-chtml\.js(\?.*)?", url) for url in loads), loads


def test_every_image_has_alt_text(site):
    for page in pages(site):
        for src, alt in _resources(page).images:
            assert alt and alt.strip(), f"{page.relative_to(site)}: <img src={src!r}> has no alt text"
            assert alt.strip() != Path(src).name and not re.search(r"\.(png|svg|jpe?g|gif)$", alt.strip()), (
                f"{page.relative_to(site)}: <img src={src!r}> has a file name as alt text: {alt!r}")


def test_lesson_pages_show_executed_outputs(site):
    lessons = lesson_notebooks()
    assert lessons
    for lesson in lessons:
        page = site / lesson.relative_to(ROOT).with_suffix(".html")
        assert 'class="cell_output' in page.read_text(), f"{page.relative_to(site)}: no executed output"
    plots = [src for src, _ in _resources(site / "book" / "02-neuron" / "03-classification.html").images
             if "_images/" in src]
    assert plots, "the classification lesson shows no plot"


def test_exercise_pages_say_how_to_get_and_validate_the_notebook(site):
    slugs = sorted(page.stem for page in site.glob("exercises/*/*.html"))
    assert slugs
    for slug in slugs:
        html = (site / "exercises" / slug / f"{slug}.html").read_text()
        text = page_text(site / "exercises" / slug / f"{slug}.html")
        assert "How to do this exercise" in text
        assert f'href="../../_sources/exercises/{slug}/{slug}.ipynb"' in html
        assert (site / "_sources" / "exercises" / slug / f"{slug}.ipynb").is_file()
        assert f"nbgrader validate {slug}.ipynb" in text


def test_landing_page_has_chapter_map_and_schedule(site):
    text = page_text(site / "book" / "index.html")
    for heading in ("Prerequisites", "How to use it as a student", "How to use it as an instructor",
                    "Chapter map", "A 13-week schedule"):
        assert heading in text, f"landing page has no section {heading!r}"
    assert (site / "_images" / "chapter-map.svg").is_file()
    schedule = (site / "book" / "index.html").read_text().split('id="a-13-week-schedule"')[1]
    rows = re.findall(r"<tr[^>]*>\s*<td[^>]*><p>(\d+)</p></td>", schedule.split("</table>")[0])
    assert rows == [str(week) for week in range(1, 14)]


def test_landing_page_marks_exactly_the_written_chapters_ready():
    rows = re.findall(r"^\| *\d+ *\| *\[[^]]+\]\((\d\d-[a-z-]+)/index\.md\).*\| *(ready|coming) *\|$",
                      (ROOT / "book" / "index.md").read_text(), flags=re.M)
    assert [slug for slug, _ in rows] == CHAPTER_SLUGS
    ready = {slug for slug, status in rows if status == "ready"}
    assert ready == set(chapters_with_exercises()), "update the status column of book/index.md"
