"""Code that runs inside a student's sandboxed kernel: :mod:`.launcher` starts ipykernel under
resource limits and :mod:`.guard` undoes tampering before every hidden-test cell.

Everything below this folder is on the student's side of the security boundary: it must not
import the driver (``dlcourse.autograder.*`` outside ``kernel``), which holds the hidden tests.
"""
