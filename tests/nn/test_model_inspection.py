"""dlcourse.nn.utils: count_parameters, layer_shapes and measured_receptive_field, on both engines."""

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.models
import dlcourse.nn.functional as F
import dlcourse.torch
from dlcourse import nn
from dlcourse.nn.utils import count_parameters, layer_shapes, measured_receptive_field


def test_count_parameters_of_single_layers_follows_the_formulas():
    assert count_parameters(nn.Linear(28 * 28, 28 * 28 * 4)) == 28 * 28 * 4 * (28 * 28 + 1)
    assert count_parameters(nn.Conv2d(3, 64, 3)) == 64 * (3 * 3 * 3 + 1)
    assert count_parameters(nn.Conv2d(3, 64, 3, bias=False)) == 64 * 3 * 3 * 3
    assert count_parameters(nn.Sequential(nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())) == 0
    assert isinstance(count_parameters(nn.Linear(2, 3)), int)


def test_count_parameters_is_the_same_for_the_two_engines():
    ours, twin = dlcourse.models.small_resnet(), dlcourse.torch.models.small_resnet()
    assert count_parameters(ours) == count_parameters(twin) == sum(p.numel() for p in twin.parameters())


def test_layer_shapes_of_lenet5_on_both_engines():
    rows = layer_shapes(dlcourse.models.lenet5(), dlcourse.zeros(1, 1, 28, 28))
    twin_rows = layer_shapes(dlcourse.torch.models.lenet5(), torch.zeros(1, 1, 28, 28))
    assert rows == twin_rows
    assert [name for name, *_ in rows] == [str(i) for i in range(12)]
    assert rows[0] == ("0", "Conv2d", (1, 6, 28, 28), 156)
    assert rows[5] == ("5", "AvgPool2d", (1, 16, 5, 5), 0)
    assert rows[-1] == ("11", "Linear", (1, 10), 850)
    assert sum(parameters for *_, parameters in rows) == 61_706


def test_measured_receptive_field_equals_the_recursion_for_the_lecture_stack():
    stack = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)]
    dlcourse.manual_seed(0)
    model = nn.Sequential(*[nn.AvgPool2d(k, s) if s > 1 else nn.Conv2d(1, 1, k) for k, s in stack])
    assert measured_receptive_field(model, (1, 1, 64, 64)) == (24, 24) == (F.receptive_field(stack)[-1][0],) * 2


@pytest.mark.parametrize("dilations,size", [((1,), 3), ((1, 2), 7), ((1, 2, 4, 8), 31)])
def test_measured_receptive_field_of_dilated_convolutions(dilations, size):
    dlcourse.manual_seed(1)
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=d, padding=d) for d in dilations])
    assert measured_receptive_field(model, (1, 1, 64, 64)) == (size, size)
    assert F.receptive_field([(3, 1, d) for d in dilations])[-1][0] == size


def test_measured_receptive_field_of_a_rectangular_kernel():
    dlcourse.manual_seed(2)
    layer = nn.Conv2d(2, 3, (3, 5))
    with dlcourse.no_grad():
        layer.weight.data[...] = np.abs(layer.weight.data) + 0.1       # no weight exactly zero
    assert measured_receptive_field(layer, (1, 2, 20, 20)) == (3, 5)
