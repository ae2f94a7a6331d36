"""Grading: helpers for the tests inside exercise notebooks, with the shared defences of hidden tests.

Inside a notebook's test cells::

    from dlcourse.grading import (assert_close, assert_each_argument_matters, assert_same_steps,
                                  assert_source_avoids, call_unchanged, forbid, logit_cases)

    assert_close(neuron(x, w, b), 5.5, "neuron(x, w, b) for x=(1,2,3), w=(1,0.5,1), b=0.5")
    assert_source_avoids(softmax, "family:softmax")            # read the answer's source
    for description, logits in logit_cases(seed=1):           # the corners of the contract
        with forbid("family:softmax"):                         # locks that cannot be walked around
            probabilities = call_unchanged(softmax, logits)    # inputs must be left unchanged
        assert_close(probabilities, reference(logits), f"softmax of {description}")

The defences, one module each:

* :mod:`dlcourse.grading.checks`: coerce what a student returns to float arrays, compare with
  messages that teach;
* :mod:`dlcourse.grading.lock`: ``forbid`` locks functions by identity, their methods, and whole
  families (``"family:softmax"``, ``"scipy.special.*"``);
* :mod:`dlcourse.grading.source_scan`: ``assert_source_avoids`` reads the answer's source for
  locked names, also spelled through aliases, methods, imports or strings;
* :mod:`dlcourse.grading.defences`: ``call_unchanged`` (inputs left unchanged),
  ``assert_each_argument_matters`` and ``assert_argument_changes_result`` (no ignored
  parameters), ``assert_same_steps`` (training compared step by step with a reference);
* :mod:`dlcourse.grading.partial`: ``Checks``, partial credit: weighted named checks that keep
  going after a failure, the cell's result the points earned (nbgrader's convention);
* :mod:`dlcourse.grading.edge_cases`: seeded generators of integer, float32, mixed-scale, huge,
  single-sample, constant and zero inputs.
"""

from dlcourse.grading.checks import as_array, assert_close, assert_finite, assert_shape
from dlcourse.grading.defences import (assert_argument_changes_result, assert_each_argument_matters,
                                       assert_same_steps, call_unchanged)
from dlcourse.grading.edge_cases import (array_cases, constant_feature, float32_array, huge_logits,
                                         integer_array, logit_cases, mixed_scale_rows, one_and_two_dimensional,
                                         scalar_cases, single_sample)
from dlcourse.grading.partial import CHECKS_MIME_TYPE, CheckResult, Checks, read_checks
from dlcourse.grading.lock import FAMILIES, ReferenceLockedError, forbid, locked_modules
from dlcourse.grading.source_scan import answer_source, assert_source_avoids, source_problems

__all__ = [
    "CHECKS_MIME_TYPE",
    "CheckResult",
    "Checks",
    "FAMILIES",
    "ReferenceLockedError",
    "answer_source",
    "array_cases",
    "as_array",
    "assert_argument_changes_result",
    "assert_close",
    "assert_each_argument_matters",
    "assert_finite",
    "assert_same_steps",
    "assert_shape",
    "assert_source_avoids",
    "call_unchanged",
    "constant_feature",
    "float32_array",
    "forbid",
    "huge_logits",
    "integer_array",
    "locked_modules",
    "logit_cases",
    "mixed_scale_rows",
    "one_and_two_dimensional",
    "read_checks",
    "scalar_cases",
    "single_sample",
    "source_problems",
]
