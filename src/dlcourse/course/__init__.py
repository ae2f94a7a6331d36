"""The tools that maintain the course, run by the instructor from the course repository.

Each is a subcommand of ``dlcourse`` (and a ``make`` target where one exists):

- :mod:`dlcourse.course.chapters`: the chapters and where the course's files live (tools and tests
  read them from there).
- :mod:`dlcourse.course.notebooks`: nbgrader's cell metadata, submissions built from the release and
  the solution, the tests' wrong-answer fixtures.
- :mod:`dlcourse.course.release`: ``dlcourse release`` (``make exercises``), the student versions
  in ``exercises/`` from ``solutions/`` with nbgrader.
- :mod:`dlcourse.course.install_cells`: ``dlcourse install-cells`` (``make install-cells``), every
  notebook's first cell installs ``dlcourse`` from the repository of ``_config.yml``.
- :mod:`dlcourse.course.book`: ``dlcourse book`` (``make book``), the lessons executed before
  Jupyter Book renders the website.
- :mod:`dlcourse.course.publish`: ``dlcourse publish`` (``make publish``), the student edition.
- :mod:`dlcourse.course.mutation`: ``dlcourse mutate``, how many small mistakes in the solutions
  the hidden tests catch.

The grading pipeline itself (``dlcourse grade``, ``dlcourse marks``) is :mod:`dlcourse.autograder`.
This ``__init__`` imports nothing.
"""
