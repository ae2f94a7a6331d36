"""The checks used inside exercise test cells: what they accept, what they reject, what they lock."""

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse.grading import ReferenceLockedError, as_array, assert_close, assert_finite, forbid


class EqualsEverything:
    def __eq__(self, other):
        return True


def test_tensors_of_torch_and_dlcourse_are_read_as_arrays():
    expected = np.array([1.0, 2.0])
    for tensor in (torch.tensor([1.0, 2.0], requires_grad=True), dlcourse.Tensor([1.0, 2.0], requires_grad=True)):
        np.testing.assert_array_equal(as_array(tensor, shape=(2,)), expected)


@pytest.mark.parametrize("value", [EqualsEverything(), "5.5", None, [1.0, "x"], True])
def test_values_that_are_not_numbers_fail_with_a_message(value):
    with pytest.raises(AssertionError, match="neuron"):
        assert_close(value, 5.5, "neuron(x, w, b)")


def test_wrong_shape_and_wrong_value_name_both_values():
    with pytest.raises(AssertionError, match=r"shape \(3,\), got shape \(1, 3\)"):
        assert_close([[1.0, 2.0, 3.0]], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="index \\(2,\\) expected 4, got 3"):
        assert_close([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])


def test_nan_and_infinity_are_reported_as_overflow():
    with pytest.raises(AssertionError, match="overflow"):
        assert_finite(np.array([1.0, np.inf]))


def test_forbid_locks_module_functions_and_direct_imports_then_restores_them():
    import __main__

    __main__.borrowed_lstsq = np.linalg.lstsq
    try:
        with forbid("numpy.linalg.lstsq", "no_such_package.function"):
            with pytest.raises(ReferenceLockedError, match="numpy.linalg.lstsq is locked"):
                np.linalg.lstsq(np.eye(2), np.ones(2))
            with pytest.raises(ReferenceLockedError):
                __main__.borrowed_lstsq(np.eye(2), np.ones(2))
        solution = np.linalg.lstsq(np.eye(2), np.ones(2), rcond=None)[0]
        np.testing.assert_array_equal(solution, [1.0, 1.0])
        assert __main__.borrowed_lstsq is np.linalg.lstsq
    finally:
        del __main__.borrowed_lstsq
