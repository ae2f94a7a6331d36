"""Grading: helpers for the tests inside exercise notebooks, and the instructor's pipeline.

Inside a notebook's test cells::

    from dlcourse.grading import assert_close, forbid

    assert_close(neuron(x, w, b), 5.5, "neuron(x, w, b) for x=(1,2,3), w=(1,0.5,1), b=0.5")
    with forbid("torch.softmax", "scipy.special.softmax"):
        probs = softmax(logits)          # the student's own code must do the work
"""

from dlcourse.grading.checks import as_array, assert_close, assert_finite, assert_shape
from dlcourse.grading.lock import ReferenceLockedError, forbid

__all__ = [
    "ReferenceLockedError",
    "as_array",
    "assert_close",
    "assert_finite",
    "assert_shape",
    "forbid",
]
