"""The course's repository address is one setting (``_config.yml``'s repository.url and branch):
every notebook's install cell and every link to the repository follow it."""

from __future__ import annotations

import re
import shutil

import nbformat

from course import ROOT
from dlcourse.course.install_cells import install_cell_source, repository, stale, sync


def test_every_notebook_installs_dlcourse_from_the_configured_repository():
    problems = stale(ROOT)
    assert not problems, "run `make install-cells` then `make exercises`:\n" + "\n".join(problems)


def test_links_to_the_repository_in_the_book_use_the_configured_address():
    url, _ = repository(ROOT)
    host = url.split("/")[2]
    for page in ROOT.glob("book/**/*.md"):
        for link in re.findall(rf"https://{re.escape(host)}/[\w.\-]+/[\w.\-]+", page.read_text()):
            assert link == url, f"{page.relative_to(ROOT)} links to {link}, but _config.yml says {url}"


def test_a_fork_changes_one_setting_and_every_install_cell_follows(tmp_path):
    root = tmp_path / "fork"
    (root / "book" / "02-neuron").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    lesson = next((ROOT / "book" / "02-neuron").glob("*.ipynb"))
    shutil.copy(lesson, root / "book" / "02-neuron" / lesson.name)
    config = root / "_config.yml"
    fork = re.sub(r"url: https://github.com/\S+", "url: https://gitlab.example.org/my-uni/dl", config.read_text())
    config.write_text(fork)
    assert stale(root), "the old address was not noticed"
    assert sync(root) == [root / "book" / "02-neuron" / lesson.name]
    assert stale(root) == []
    cell = next(c for c in nbformat.read(root / "book" / "02-neuron" / lesson.name, as_version=4).cells
                if c.cell_type == "code")
    assert "git+https://gitlab.example.org/my-uni/dl@main" in cell.source == install_cell_source(root)
