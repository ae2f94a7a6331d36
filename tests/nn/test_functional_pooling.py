"""dlcourse.nn.functional: size arithmetic (conv_output_size, receptive_field) and the upsampling helpers
(max_pool2d_with_indices, max_unpool2d with torch's signature, bed_of_nails), against PyTorch."""

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.nn.functional as F
from dlcourse.autograd import conv_ops


@pytest.mark.parametrize("size,kernel,stride,padding,dilation", [(5, 3, 2, 1, 1), (28, 5, 1, 0, 1), (7, 3, 1, 0, 2),
                                                                  (31, 4, 3, 2, 2), (1, 1, 1, 0, 1)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    out = torch.nn.functional.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), stride=stride,
                                     padding=padding, dilation=dilation)
    assert F.conv_output_size(size, kernel, stride, padding, dilation) == out.shape[-1]


def test_conv_output_size_is_the_engines_one_implementation():
    assert F.conv_output_size is conv_ops.conv_output_size
    assert F.conv_output_size(size=11, kernel_size=3, padding=2, dilation=2, stride=3) == 4


def test_conv_output_size_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="does not fit"):
        F.conv_output_size(2, 3)


def test_receptive_field_of_the_lecture_stack():
    stack = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)]
    assert F.receptive_field(stack) == [(3, 1), (5, 1), (6, 2), (10, 2), (14, 2), (16, 4), (24, 4)]
    assert F.receptive_field([]) == []


def test_dilations_one_two_four_eight_grow_the_receptive_field_exponentially():
    assert [size for size, _ in F.receptive_field([(3, 1, d) for d in (1, 2, 4, 8)])] == [3, 7, 15, 31]


@pytest.mark.parametrize("shape,kernel_size,stride", [((2, 3, 6, 8), 2, None), ((1, 2, 7, 9), 3, 2),
                                                      ((2, 1, 5, 5), 2, 1), ((1, 1, 7, 7), 3, None)])
def test_max_pool2d_with_indices_matches_torch_with_ties(shape, kernel_size, stride):
    x = np.random.default_rng(0).integers(0, 3, size=shape).astype(np.float64)       # small integers: many ties
    values, indices = F.max_pool2d_with_indices(x, kernel_size, stride)
    values_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), kernel_size, stride, return_indices=True)
    assert isinstance(values, np.ndarray) and indices.dtype == np.int64
    np.testing.assert_array_equal(values, values_t.numpy())
    np.testing.assert_array_equal(indices, indices_t.numpy())


def test_max_pool2d_with_indices_takes_a_tensor_and_keyword_arguments():
    x = np.random.default_rng(1).normal(size=(2, 2, 6, 6)).astype(np.float32)
    values, indices = F.max_pool2d_with_indices(dlcourse.tensor(x), kernel_size=3, stride=3)
    np.testing.assert_array_equal(values, F.max_pool2d(dlcourse.tensor(x), 3).numpy())
    assert values.dtype == np.float32 and indices.shape == (2, 2, 2, 2)


@pytest.mark.parametrize("shape,kernel_size,stride", [((2, 3, 6, 8), 2, None), ((1, 2, 8, 8), 2, 2),
                                                      ((1, 2, 9, 7), 3, 2)])
def test_max_unpool2d_matches_torch_with_its_argument_order(shape, kernel_size, stride):
    x = np.random.default_rng(2).integers(0, 3, size=shape).astype(np.float64)
    values_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), kernel_size, stride, return_indices=True)
    values, indices = F.max_pool2d_with_indices(x, kernel_size, stride)
    expected = torch.nn.functional.max_unpool2d(values_t, indices_t, kernel_size, stride).numpy()
    np.testing.assert_array_equal(F.max_unpool2d(values, indices, kernel_size, stride), expected)
    np.testing.assert_array_equal(F.max_unpool2d(input=values, indices=indices, kernel_size=kernel_size, stride=stride),
                                  expected)


def test_max_unpool2d_output_size_restores_an_odd_input():
    x = np.random.default_rng(3).normal(size=(2, 2, 7, 9))
    values_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    values, indices = F.max_pool2d_with_indices(x, 2)
    for output_size in [(7, 9), (2, 2, 7, 9)]:                     # (H, W) or the full shape, as torch accepts
        expected = torch.nn.functional.max_unpool2d(values_t, indices_t, 2, output_size=output_size).numpy()
        got = F.max_unpool2d(values, indices, 2, output_size=output_size)
        assert got.shape == (2, 2, 7, 9)
        np.testing.assert_array_equal(got, expected)


def test_max_unpool2d_with_padding_follows_torchs_default_size():
    values = np.ones((1, 1, 3, 3))
    indices = np.arange(9).reshape(1, 1, 3, 3) * 2
    expected = torch.nn.functional.max_unpool2d(torch.tensor(values), torch.tensor(indices), 3, stride=2, padding=1)
    np.testing.assert_array_equal(F.max_unpool2d(values, indices, 3, stride=2, padding=1), expected.numpy())


def test_max_unpool2d_rejects_indices_of_another_shape():
    with pytest.raises(ValueError, match="same shape"):
        F.max_unpool2d(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 3), dtype=np.int64), 2)


def test_bed_of_nails_puts_each_value_in_the_top_left_corner():
    out = F.bed_of_nails(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), 2)
    np.testing.assert_array_equal(out[0, 0], [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    assert F.bed_of_nails(np.ones((2, 3, 2, 5)), 3).shape == (2, 3, 6, 15)
