"""nbgrader configuration of the course.

solutions/ is nbgrader's source folder and exercises/ its release folder; submissions, autograded
copies, feedback and the gradebook live in git-ignored folders next to this file.
Run nbgrader from this folder (`cd autograder && nbgrader ...`) or use `make exercises`.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.root = os.path.dirname(here)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell time limit when grading; the instructor pipeline adds per-notebook limits.
c.Execute.timeout = 120
