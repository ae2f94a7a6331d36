"""The instructor's grading pipeline behind the ``dlcourse`` command (runs outside the sandbox).

Three execution contexts, three places:

- :mod:`dlcourse.grading`: what exercise notebooks import (checks, locks); runs wherever a notebook
  runs, on a student's laptop as in the grader.
- :mod:`dlcourse.autograder` (this package): the instructor's driver. It reads the course's
  solutions (hidden tests included), collects submissions, starts one sandboxed kernel per
  submission and writes grades, feedback and reports. Nothing here is ever imported by student code.
- :mod:`dlcourse.autograder.kernel`: the only code of the pipeline that runs *inside* a student's
  sandbox (resource limits, the kernel launcher, the tamper guard). It imports nothing from the
  driver's modules.

This ``__init__`` imports nothing, so the kernel side can import ``dlcourse.autograder.kernel``
without loading the driver.
"""
