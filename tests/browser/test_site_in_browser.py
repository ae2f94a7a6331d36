"""The built website works in a real browser, offline.

Headless Chromium (the system's, driven by Playwright; no browser is downloaded) opens every page
of the site served from 127.0.0.1. Any request to another host is reported (and cannot leave the
machine: Chromium resolves no other name). Screenshots
of the landing page, a lesson and an exercise, light and dark, go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from course import ROOT
from website import CHAPTER_SLUGS, built_site, chromium_path, config, pages, serve

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -r requirements.lock)")
if chromium_path() is None:
    pytest.skip("no Chromium on this machine (Debian: apt-get install chromium, or `make sysdeps`)",
                allow_module_level=True)

ARTIFACTS = ROOT / "test-artifacts"
LESSON = "book/02-neuron/02-gradient-descent.html"
EXERCISE = "exercises/02-neuron/02-neuron.html"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  # no name but the local server's resolves: a page cannot reach the internet
                  # (such requests are still seen, and reported, by Visit)
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

# Collected in the page, after MathJax has typeset it.
PAGE_FACTS = """() => {
  const article = document.querySelector('article.bd-article');
  return {
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    images: [...document.querySelectorAll('img')].map(i => ({
      src: i.currentSrc || i.src, alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0})),
    headings: article ? [...article.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
      h => [Number(h.tagName[1]), h.textContent.trim()]) : [],
    maths: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    mathjax: window.MathJax && window.MathJax.version || null,
    text: article ? article.innerText : '',
  };
}"""

# Resolves once MathJax (when the page has it) has typeset the page and every web font has loaded.
SETTLED = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  return true;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(site):
    server, url = serve(site)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
    except Exception as error:  # noqa: BLE001 - an unusable Chromium is a broken machine, not a passing test
        playwright.stop()
        pytest.fail(f"Chromium at {chromium_path()} does not start under Playwright: {error}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


class Visit:
    """One page load in a fresh browser context, with everything that went wrong on the way."""

    def __init__(self, browser, base_url: str, path: str, dark: bool = False):
        self.console_errors, self.failed, self.foreign = [], [], []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           color_scheme="dark" if dark else "light")
        if dark:  # the theme's own switch: pydata-sphinx-theme keeps the mode in localStorage
            self.context.add_init_script("localStorage.setItem('mode', 'dark')")
        self.page = self.context.new_page()
        self.page.on("request", lambda request: request.url.startswith((base_url, "data:", "blob:"))
                     or self.foreign.append(request.url))
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(
            f"{msg.text} ({msg.location.get('url')})"))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", lambda request: self.failed.append(f"{request.url}: {request.failure}"))
        self.page.on("response", lambda response: response.status >= 400 and self.failed.append(
            f"{response.url}: HTTP {response.status}"))
        self.page.goto(base_url + path, wait_until="load")
        for attempt in range(6):  # a redirect page (the site's index.html) navigates away once loaded
            try:
                self.page.evaluate(SETTLED)
                self.facts = self.page.evaluate(PAGE_FACTS)
                break
            except sync_api.Error as error:
                if "context was destroyed" not in str(error) or attempt == 5:
                    raise
                self.page.wait_for_timeout(250)  # the "load" of the old page may still be current
                self.page.wait_for_load_state("load")

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visits(site, base_url, browser) -> dict[str, dict]:
    """Every page of the site, loaded once: what it logged, requested and contains."""
    results = {}
    for page in pages(site):
        path = page.relative_to(site).as_posix()
        visit = Visit(browser, base_url, path)
        results[path] = dict(visit.facts, console_errors=visit.console_errors, failed=visit.failed,
                             foreign=visit.foreign)
        visit.close()
    return results


def test_every_page_loads_without_errors_or_requests_to_other_hosts(visits):
    assert len(visits) >= 17, sorted(visits)
    problems = {path: {k: v[k] for k in ("console_errors", "failed", "foreign") if v[k]}
                for path, v in visits.items()}
    problems = {path: p for path, p in problems.items() if p}
    assert not problems, json.dumps(problems, indent=1)


def test_the_site_root_serves_an_icon(base_url):
    """The root index.html is a bare redirect with no icon link; browsers then ask for /favicon.ico."""
    with urllib.request.urlopen(base_url + "favicon.ico") as response:
        assert response.status == 200
        assert response.read(4) == b"\x00\x00\x01\x00", "favicon.ico is not an ICO file"


def test_sidebar_lists_the_13_chapters_in_order(browser, base_url):
    visit = Visit(browser, base_url, "book/index.html")
    try:
        links = visit.page.locator("nav.bd-docs-nav a.reference")
        hrefs = [href for href, visible in zip(links.evaluate_all("els => els.map(a => a.href)"),
                                               links.evaluate_all("els => els.map(a => a.checkVisibility())"))
                 if visible]
    finally:
        visit.close()
    chapters = [m.group(1) for href in hrefs if (m := re.search(r"/book/(\d\d-[a-z-]+)/index\.html$", href))]
    assert chapters == CHAPTER_SLUGS


def _local_target(site: Path, base_url: str, url: str) -> tuple[Path, str]:
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path[len(urllib.parse.urlsplit(base_url).path):])
    target = site / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    return target, parts.fragment


def test_every_internal_link_and_image_resolves(site, base_url, visits):
    broken, ids = [], {}
    for path, facts in visits.items():
        for url in facts["links"]:
            if not url.startswith(base_url):
                continue
            target, fragment = _local_target(site, base_url, url)
            if not target.is_file():
                broken.append(f"{path}: link {url} -> no file {target.relative_to(site)}")
            elif fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
                if urllib.parse.unquote(fragment) not in ids[target]:
                    broken.append(f"{path}: link {url} -> no #{fragment} in {target.relative_to(site)}")
        for image in facts["images"]:
            if not image["loaded"]:
                broken.append(f"{path}: image {image['src']} did not load")
    assert not broken, "\n".join(broken)


def test_every_image_has_alt_text_in_the_browser(visits):
    images = [(path, image) for path, facts in visits.items() for image in facts["images"]]
    assert any("_images/" in image["src"] for _, image in images), "no figure or plot on any page"
    missing = [f"{path}: {image['src']}" for path, image in images if not (image["alt"] or "").strip()]
    assert not missing, "\n".join(missing)


def test_headings_are_in_order_with_one_title_per_page(visits):
    problems = []
    for path, facts in visits.items():
        levels = [level for level, _ in facts["headings"]]
        if path in ("search.html", "genindex.html") or path == "index.html" and not levels:
            continue
        if levels.count(1) != 1 or levels[0] != 1:
            problems.append(f"{path}: needs exactly one h1, first: {facts['headings']}")
        for (before, _), (after, text) in zip(facts["headings"], facts["headings"][1:]):
            if after > before + 1:
                problems.append(f"{path}: h{before} then h{after} ({text!r})")
    assert not problems, "\n".join(problems)


def test_maths_is_rendered_by_mathjax_from_the_site(visits):
    pages_with_maths = [LESSON, "book/02-neuron/index.html"]
    for path in pages_with_maths:
        facts = visits[path]
        assert facts["mathjax"] == "3.2.2", f"{path}: MathJax did not run ({facts['mathjax']})"
        assert facts["maths"] > 0, f"{path}: no rendered formula (mjx-container)"
        assert facts["mathErrors"] == 0, f"{path}: {facts['mathErrors']} formulas failed to typeset"
        assert "$$" not in facts["text"] and "\\frac" not in facts["text"], f"{path}: raw TeX left on the page"


def test_search_finds_the_backpropagation_chapter(browser, base_url):
    visit = Visit(browser, base_url, "search.html?q=backpropagation")
    try:
        visit.page.wait_for_selector("#search-results ul.search li", timeout=15_000)
        hits = visit.page.locator("#search-results ul.search li a").evaluate_all("els => els.map(a => a.href)")
        assert not visit.console_errors and not visit.foreign, (visit.console_errors, visit.foreign)
    finally:
        visit.close()
    assert any(href.split("#")[0].endswith("/book/03-backprop/index.html") for href in hits), hits


def test_launch_and_download_buttons_point_at_the_repository_notebook(browser, base_url):
    settings = config()
    repo = settings["repository"]["url"].removeprefix("https://github.com/").strip("/")
    branch = settings["repository"]["branch"]
    notebook = LESSON.removesuffix(".html") + ".ipynb"
    visit = Visit(browser, base_url, LESSON)
    try:
        launch = visit.page.locator(".dropdown-launch-buttons a").evaluate_all("els => els.map(a => a.href)")
        download = visit.page.locator(".dropdown-download-buttons a").evaluate_all("els => els.map(a => a.href)")
    finally:
        visit.close()
    expected = {
        "Colab": f"https://colab.research.google.com/github/{repo}/blob/{branch}/{notebook}",
        "Binder": f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{notebook}",
    }
    for name, url in expected.items():
        assert url in launch, f"no {name} link {url} in {launch}"
    # No hub is configured (launch_buttons.jupyterhub_url is empty), so no JupyterHub button; the
    # nbgitpuller link of a configured hub is checked in tests/test_student_edition.py.
    assert not settings["launch_buttons"]["jupyterhub_url"]
    assert not [url for url in launch if "git-pull" in url], launch
    assert len(launch) == len(expected), launch
    source = [url for url in download if url.endswith(".ipynb")]
    assert source == [f"{base_url}_sources/{notebook}"], download
    with urllib.request.urlopen(source[0]) as response:
        assert json.load(response)["cells"], "the downloaded notebook has no cells"


def test_exercise_page_links_its_notebook_and_says_how_to_validate(browser, base_url, tmp_path):
    visit = Visit(browser, base_url, EXERCISE)
    try:
        note = visit.page.locator(".exercise-howto")
        assert note.is_visible()
        text = note.inner_text()
        href = note.locator("a[download]").get_attribute("href")
        with visit.page.expect_download() as download:
            note.locator("a[download]").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
    finally:
        visit.close()
    assert saved.name == "02-neuron.ipynb"
    assert "nbgrader validate 02-neuron.ipynb" in text and "Submit" in text
    assert href.endswith("_sources/exercises/02-neuron/02-neuron.ipynb")
    notebook = json.loads(saved.read_text())
    assert any("NotImplementedError" in "".join(cell["source"]) for cell in notebook["cells"])


def _contrast(foreground: list[float], background: list[float]) -> float:
    def luminance(rgb):
        channels = [c / 255 for c in rgb[:3]]
        channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The text colour of each paragraph, list item, table cell and heading of the article, and the
# colour behind it (the first ancestor with an opaque background).
TEXT_COLOURS = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const behind = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('article.bd-article :is(p, li, td, th, h1, h2, h3, dt, dd)')]
    .filter(el => el.checkVisibility() && el.innerText.trim())
    .map(el => ({text: el.innerText.trim().slice(0, 40), colour: rgb(getComputedStyle(el).color),
                 background: behind(el)}));
}"""


@pytest.mark.parametrize("path,name", [("book/index.html", "landing"), (LESSON, "lesson"), (EXERCISE, "exercise")])
def test_pages_are_readable_in_light_and_dark_mode_screenshots_saved(browser, base_url, path, name):
    ARTIFACTS.mkdir(exist_ok=True)
    for mode in ("light", "dark"):
        visit = Visit(browser, base_url, path, dark=mode == "dark")
        try:
            theme = visit.page.evaluate("document.documentElement.dataset.theme")
            colours = visit.page.evaluate(TEXT_COLOURS)
            visit.page.screenshot(path=ARTIFACTS / f"{name}-{mode}.png", full_page=True)
        finally:
            visit.close()
        assert theme == mode
        assert colours, f"{path}: no text found"
        low = [f"{c['text']!r}: {c['colour']} on {c['background']} ({_contrast(c['colour'], c['background']):.1f})"
               for c in colours if _contrast(c["colour"], c["background"]) < 4.5]
        assert not low, f"{path} in {mode} mode, text below WCAG AA contrast 4.5:\n" + "\n".join(low[:20])
        assert (ARTIFACTS / f"{name}-{mode}.png").stat().st_size > 10_000
