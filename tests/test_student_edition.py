"""The student edition: what `make publish` writes holds no solution, hidden test, mark scheme or
fixture; its website's launch links point at it; Binder, the JupyterHub and GitHub Pages find what
they need in it; and a fresh environment with only Jupyter and PyTorch (a student's Colab) runs
its lessons after their install cell.

The edition is published once per test session (tests/website.py), and the website of the book
tests is built from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from course import LEAK_MARKERS, MARKERS, ROOT, chapters_with_exercises, page_text, read, solution_snippets
from dlcourse.autograder import cli
from dlcourse.course.install_cells import install_cell_source
from dlcourse.course.publish import PublishError, binder_requirements, leaks, publish
from website import built_edition, built_site, pages

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    return built_edition(tmp_path_factory.mktemp("publish"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return built_site(tmp_path_factory)


def _text_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            try:
                yield path, path.read_text()
            except UnicodeDecodeError:
                continue


def _flat(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


# --- What is in it, and what is not ------------------------------------------------------------

def test_the_edition_has_what_a_student_needs_and_no_instructor_folder(edition):
    for needed in ("README.md", "_config.yml", "_toc.yml", "Makefile", "pyproject.toml", "requirements.lock",
                   "book/index.md", "src/dlcourse/__init__.py", "src/dlcourse/data/SHA256SUMS",
                   "binder/requirements.txt", "binder/runtime.txt", "binder/postBuild",
                   ".github/workflows/pages.yml"):
        assert (edition / needed).is_file(), f"the student edition has no {needed}"
    for slug in chapters_with_exercises():
        assert (edition / "exercises" / slug / f"{slug}.ipynb").read_bytes() == \
            (ROOT / "exercises" / slug / f"{slug}.ipynb").read_bytes()
    for private in ("solutions", "tests", "autograder", "benchmarks", ".ci"):
        assert not (edition / private).exists(), f"the student edition holds {private}/"
    readme = (edition / "README.md").read_text()
    assert readme == (ROOT / "autograder" / "student-edition" / "README.md").read_text()
    assert "student edition" in readme and "solutions/" not in readme and "nbgrader validate" in readme


def test_no_nbgrader_marker_hidden_test_mark_scheme_or_solution_anywhere_in_the_edition(edition):
    hidden, schemes, snippets = [], [], []
    for slug in chapters_with_exercises():
        solution = read(ROOT / "solutions" / slug / f"{slug}.ipynb")
        snippets += solution_snippets(solution)
        for cell in solution.cells:
            lines = cell.source.splitlines()
            for start, stop in MARKERS.regions(cell.source, MARKERS.begin_hidden, MARKERS.end_hidden):
                hidden.append(_flat("\n".join(lines[start + 1:stop])))
            if scheme := MARKERS.mark_scheme(cell.source):
                schemes.append(" ".join(scheme.split()))
    assert len(hidden) >= 40 and len(schemes) >= 13 and snippets
    for path, raw in _text_files(edition):
        where = path.relative_to(edition)
        if path.suffix == ".ipynb":
            body = "\n".join(cell.source for cell in nbformat.reads(raw, as_version=4).cells)
            for marker in LEAK_MARKERS:
                assert marker not in body, f"{where} holds nbgrader's {marker!r}"
            text = page_text(path)
            for snippet in snippets:
                assert snippet not in text, f"{where} holds solution code {snippet!r}"
        else:
            assert not re.search(r"(?m)^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS|MARK SCHEME)\s*$", raw), where
        flat = " ".join(raw.split())
        for scheme in schemes:
            assert scheme[:120] not in flat, f"{where} holds a mark scheme: {scheme[:80]!r}"
        cells = [c.source for c in nbformat.reads(raw, as_version=4).cells] if path.suffix == ".ipynb" else [raw]
        for cell in map(_flat, cells):
            for test in hidden:  # a whole hidden-test region, whitespace aside
                assert test not in cell, f"{where} holds the hidden tests {test[:80]!r}"


def test_publish_finds_a_solution_notebook_a_fixture_or_a_leaked_hidden_test(tmp_path):
    fake = tmp_path / "edition"
    (fake / "exercises" / "02-neuron").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "02-neuron" / "02-neuron.ipynb", fake / "exercises" / "02-neuron")
    (fake / "tests" / "fixtures").mkdir(parents=True)
    found = leaks(fake, ROOT)
    assert any("fixtures: an instructor-only folder" in p for p in found), found
    assert any("02-neuron.ipynb: nbgrader marker 'BEGIN SOLUTION'" in p for p in found), found
    assert any("02-neuron.ipynb: text of a solution" in p for p in found), found
    # A hidden test pasted into a page, markers removed: its text gives it away.
    solution = read(ROOT / "solutions" / "03-backprop" / "03-backprop.ipynb")
    hidden = next("\n".join(MARKERS.hidden_lines(c.source)) for c in solution.cells if MARKERS.hidden_lines(c.source))
    (fake / "notes.md").write_text("Notes\n\n" + hidden + "\n")
    assert any(p.startswith("notes.md: text of a solution, hidden test") for p in leaks(fake, ROOT))


def test_publish_writes_only_into_an_empty_folder_or_an_earlier_edition(tmp_path):
    other = tmp_path / "my-files"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(PublishError, match="not empty and is not a student edition"):
        publish(other, ROOT)
    assert cli.main(["publish", str(other)]) == 2  # `dlcourse publish`, as the instructor types it
    assert (other / "thesis.tex").read_text() == "precious"
    with pytest.raises(PublishError, match="overlaps the course source"):
        publish(ROOT / "_build" / "edition", ROOT)
    with pytest.raises(PublishError, match="placeholder"):
        publish(tmp_path / "new", ROOT, jupyterhub_url="https://jupyterhub.example.edu")
    assert not (tmp_path / "new").exists()


def test_publishing_again_replaces_the_edition_and_keeps_its_git_history(tmp_path, edition):
    dest = tmp_path / "clone"
    shutil.copytree(edition, dest, ignore=shutil.ignore_patterns("_build"))
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "book" / "stale-page.md").write_text("a page the source no longer has")
    written = publish(dest, ROOT, repository="https://github.com/my-uni/dl-course-students", branch="term-2")
    assert (dest / ".git" / "HEAD").is_file() and not (dest / "book" / "stale-page.md").exists()
    assert "book/index.md" in written and not any(name.startswith(".git/") for name in written)
    settings = yaml.safe_load((dest / "_config.yml").read_text())
    assert settings["repository"] == {"url": "https://github.com/my-uni/dl-course-students", "path_to_book": "",
                                      "branch": "term-2"}
    cell = install_cell_source(dest)
    assert "git+https://github.com/my-uni/dl-course-students@term-2" in cell
    for path in [*dest.glob("book/*/*.ipynb"), *dest.glob("exercises/*/*.ipynb")]:
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert first.source == cell, f"{path.relative_to(dest)} installs from elsewhere"


# --- Its website: every launch link points at the student edition ------------------------------

class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def _launch_links(page: Path) -> list[str]:
    parser = _Anchors()
    parser.feed(page.read_text())
    return [h for h in parser.hrefs if re.match(r"https://(mybinder\.org|colab\.research\.google\.com|github\.com)/", h)
            or "git-pull" in h]


def test_every_launch_and_repository_link_on_the_site_points_at_the_student_edition(site, edition):
    settings = yaml.safe_load((edition / "_config.yml").read_text())
    url, branch = settings["repository"]["url"], settings["repository"]["branch"]
    repo = url.removeprefix("https://github.com/")
    allowed = (f"https://mybinder.org/v2/gh/{repo}/{branch}?", f"https://colab.research.google.com/github/{repo}/blob/{branch}/",
               f"{url}/", url)
    lessons = 0
    for page in pages(site):
        links = _launch_links(page)
        for link in links:
            assert link == url or link.startswith(allowed[:3]), f"{page.relative_to(site)} links to {link}"
            assert "solutions/" not in link and "fixtures" not in link, link
            if link.startswith(f"{url}/blob/{branch}/"):  # a file of the repository: the edition has it
                target = link.removeprefix(f"{url}/blob/{branch}/").split("#")[0]
                assert (edition / target).exists(), f"{page.relative_to(site)} links to {target}, not in the edition"
        if any("mybinder.org" in link for link in links):
            lessons += 1
            notebook = page.relative_to(site).with_suffix(".ipynb").as_posix()
            assert (edition / notebook).is_file(), f"{link} opens {notebook}, which the edition lacks"
    assert lessons >= 40, f"only {lessons} pages have launch buttons"


def test_the_jupyterhub_button_appears_only_for_a_configured_hub_and_pulls_the_edition(tmp_path):
    edition = tmp_path / "edition"
    publish(edition, ROOT, jupyterhub_url="https://hub.dl-course.org")
    book = tmp_path / "mini"
    lesson = "book/02-neuron/02-gradient-descent.ipynb"
    (book / "book" / "02-neuron").mkdir(parents=True)
    shutil.copy(edition / lesson, book / lesson)
    (book / "index.md").write_text("# Course\n")
    settings = yaml.safe_load((edition / "_config.yml").read_text())
    settings["execute"] = {"execute_notebooks": "off"}
    settings["sphinx"]["config"] = {"extensions": settings["sphinx"]["config"]["extensions"]}
    settings["only_build_toc_files"] = True
    (book / "_config.yml").write_text(yaml.safe_dump(settings))
    page = lesson.removesuffix(".ipynb")
    (book / "_toc.yml").write_text(f"format: jb-book\nroot: index\nchapters:\n  - file: {page}\n")
    result = subprocess.run([str(BIN / "jupyter-book"), "build", str(book)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    links = _launch_links(book / "_build" / "html" / "book" / "02-neuron" / "02-gradient-descent.html")
    hub = [link for link in links if link.startswith("https://hub.dl-course.org/hub/user-redirect/git-pull?")]
    assert len(hub) == 1, links
    from urllib.parse import parse_qs, urlsplit
    query = parse_qs(urlsplit(hub[0]).query)
    url = settings["repository"]["url"]
    assert query["repo"] == [url] and query["branch"] == [settings["repository"]["branch"]]
    assert query["urlpath"] == [f"lab/tree/{url.rsplit('/', 1)[1]}/{lesson}"]


# --- Binder, the hub image and GitHub Pages -----------------------------------------------------

def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text))


def test_binder_installs_the_locked_versions_with_pytorchs_cpu_build(edition):
    lock = _pins((ROOT / "requirements.lock").read_text())
    binder = (edition / "binder" / "requirements.txt").read_text()
    pins = _pins(binder)
    assert pins.pop("torch") == lock.pop("torch") + "+cpu"
    assert pins == lock
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder
    assert {"nbgrader", "nbgitpuller", "ipykernel", "matplotlib"} <= set(lock)
    assert (edition / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post_build = edition / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK) and "pip install --no-deps ." in post_build.read_text()
    assert binder_requirements("torch==2.13.0\n    # via x\nnumpy==2.1.0\n").splitlines()[-2:] == \
        ["torch==2.13.0+cpu", "numpy==2.1.0"]


def test_the_pages_workflow_is_a_valid_github_actions_workflow_that_publishes_make_book(edition, tmp_path):
    workflow = edition / ".github" / "workflows" / "pages.yml"
    check = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run([*check, str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    steps = jobs["build"]["steps"]
    assert {"run": "make book"} in steps
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact") and s["with"]["path"] == "_build/html"
               for s in steps)
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in jobs["deploy"]["steps"])
    broken = tmp_path / "broken.yml"  # the schema check can fail: a job without runs-on or steps
    broken.write_text("on: push\njobs:\n  build:\n    name: no steps\n")
    assert subprocess.run([*check, str(broken)], capture_output=True).returncode != 0


def test_the_editions_makefile_builds_the_book_and_refuses_the_instructors_targets(edition):
    dry = subprocess.run(["make", "-n", "book"], cwd=edition, capture_output=True, text=True)
    assert dry.returncode == 0 and "dlcourse book" in dry.stdout and "jupyter-book build" in dry.stdout
    for target in ("test", "exercises", "publish"):
        refused = subprocess.run(["make", target], cwd=edition, capture_output=True, text=True)
        assert refused.returncode == 2 and "student edition" in refused.stdout, (target, refused.stdout)


# --- A student's Colab: only Jupyter and PyTorch, then the lessons' install cell -----------------

#: Lessons that need PyTorch and a data set each (MNIST, tiny Shakespeare, Cora), among the quickest.
COLAB_LESSONS = ("book/appendix-a-pytorch-on-a-gpu/01-the-same-model-three-ways.ipynb",
                 "book/10-language-models/03-the-transformer.ipynb",
                 "book/11-graph-networks/03-gcn-node-classification.ipynb")

_RUNNER = textwrap.dedent("""
    import json, sys, time
    import nbformat
    from nbclient import NotebookClient
    times = {}
    for path in sys.argv[1:]:
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": path.rsplit("/", 1)[0]}}).execute()
        times[path] = time.perf_counter() - start
    print("TIMES " + json.dumps(times))
""")


@pytest.mark.slow
@pytest.mark.notebooks
def test_a_fresh_environment_with_jupyter_and_torch_runs_lessons_after_their_install_cell(tmp_path):
    edition = tmp_path / "student-edition"
    publish(edition, ROOT, repository=f"file://{edition}", branch="main")
    git = ["git", "-c", "user.name=Course", "-c", "user.email=course@localhost"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "student edition"]):
        subprocess.run([*git, *command], cwd=edition, check=True)
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "MPLBACKEND") and not key.startswith("PYTEST")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != BIN)
    venv = tmp_path / "colab"
    python = shutil.which("python3", path=env["PATH"]) or sys.executable
    start = time.perf_counter()
    subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "pip>=24"], check=True, env=env, capture_output=True)
    torch_pin = _pins((ROOT / "requirements.lock").read_text())["torch"]
    subprocess.run([*pip, f"torch=={torch_pin}", "nbclient", "ipykernel"], check=True, env=env, capture_output=True)
    fresh = subprocess.run([str(venv / "bin" / "python"), "-c", "import dlcourse"], env=env, capture_output=True)
    assert fresh.returncode != 0, "dlcourse is installed before the install cell ran"
    torch_files = sorted(venv.glob("lib/python*/site-packages/torch-*.dist-info"))
    setup = time.perf_counter() - start
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["DLCOURSE_DATA"] = os.environ["DLCOURSE_DATA"]
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    lessons = [str(edition / lesson) for lesson in COLAB_LESSONS]
    run = subprocess.run([str(venv / "bin" / "python"), "-c", _RUNNER, *lessons], env=env,
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    times = json.loads(run.stdout.split("TIMES ", 1)[1])
    print(f"fresh environment in {setup:.0f} s; lessons: "
          + ", ".join(f"{Path(p).stem} {s:.0f} s" for p, s in times.items()))
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import dlcourse, torch; print(dlcourse.__file__)"],
                               env=env, capture_output=True, text=True, check=True)
    assert str(venv) in installed.stdout, "dlcourse was not installed into the fresh environment by the install cell"
    assert sorted(venv.glob("lib/python*/site-packages/torch-*.dist-info")) == torch_files, \
        "the install cell replaced the PyTorch that was already there"
