"""The course's tools (dlcourse.course) are subcommands of ``dlcourse``, and the tests read the chapter
list and the repository's layout from the same place as the tools."""

from __future__ import annotations

import pytest

import course
from dlcourse.autograder import cli
from dlcourse.course import chapters


@pytest.mark.parametrize("command", ["mutate", "release", "install-cells", "book", "publish"])
def test_every_course_tool_is_a_dlcourse_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exit_status:
        cli.main([command, "--help"])
    assert exit_status.value.code == 0
    assert f"usage: dlcourse {command}" in capsys.readouterr().out


def test_the_tests_chapter_list_is_the_packages():
    assert course.chapters_with_exercises.__func__ is chapters.Layout.chapter_slugs
    assert course.chapters_with_exercises.__self__ is course.LAYOUT
    assert course.LAYOUT.root == course.ROOT == chapters.find_course_root(course.ROOT / "tests")
    slugs = course.chapters_with_exercises()
    assert slugs and all(course.LAYOUT.solution(slug).is_file() for slug in slugs)


def test_the_tests_fixtures_and_submissions_are_the_packages():
    from dlcourse.course import notebooks

    assert course.fixture_files.__func__ is chapters.Layout.fixture_files
    assert course.submission_from_release.func is notebooks.submission_from_release
    assert course.submission_from_release.keywords == {"markers": course.MARKERS}
    for name in ("read", "nbgrader_meta", "cells_by_grade_id", "parse_fixture"):
        assert getattr(course, name) is getattr(notebooks, name), name


def test_install_cells_check_passes_through_the_command(monkeypatch, capsys):
    monkeypatch.chdir(course.ROOT / "tests")   # the course is found above the current folder
    assert cli.main(["install-cells", "--check"]) == 0
    assert "every install cell matches _config.yml" in capsys.readouterr().out


def test_mutate_lists_a_chapters_mutants_without_grading(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")   # what the command sets, undone afterwards (kernels inherit it)
    out = tmp_path / "results"
    assert cli.main(["mutate", "--list", "--course", str(course.ROOT), "--out", str(out), "02-neuron"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed and all(line.startswith("02-neuron ") for line in listed)
    assert not any(out.iterdir()), "--list grades nothing and writes no results"


def test_release_refuses_a_chapter_without_a_solution(monkeypatch):
    monkeypatch.chdir(course.ROOT)
    with pytest.raises(SystemExit, match="solutions/99-none/99-none.ipynb does not exist"):
        cli.main(["release", "99-none"])
