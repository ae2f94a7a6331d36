"""dlcourse.cnn: size arithmetic, upsampling by hand, occlusion, and the architectures on both engines."""

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import cnn, nn


@pytest.mark.parametrize("size,kernel,stride,padding,dilation", [(5, 3, 2, 1, 1), (28, 5, 1, 0, 1), (7, 3, 1, 0, 2),
                                                                  (31, 4, 3, 2, 2), (1, 1, 1, 0, 1)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    out = torch.nn.functional.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel), stride=stride,
                                     padding=padding, dilation=dilation)
    assert cnn.conv_output_size(size, kernel, stride, padding, dilation) == out.shape[-1]


def test_conv_output_size_rejects_a_kernel_larger_than_the_input():
    with pytest.raises(ValueError, match="does not fit"):
        cnn.conv_output_size(2, 3)


def test_receptive_field_of_the_lecture_stack_equals_the_backpropagated_one():
    stack = [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2), (3, 1)]
    assert cnn.receptive_field(stack)[-1] == (24, 4)
    dlcourse.manual_seed(0)
    model = nn.Sequential(*[nn.AvgPool2d(k, s) if s > 1 else nn.Conv2d(1, 1, k) for k, s in stack])
    assert cnn.measured_receptive_field(model, (1, 1, 64, 64)) == (24, 24)


def test_dilations_one_two_four_eight_grow_the_receptive_field_exponentially():
    assert [size for size, _ in cnn.receptive_field([(3, 1, d) for d in (1, 2, 4, 8)])] == [3, 7, 15, 31]


def test_max_pool_indices_and_unpooling_match_torch_with_ties():
    x = np.random.default_rng(0).integers(0, 3, size=(2, 3, 6, 8)).astype(np.float64)
    values, indices = cnn.max_pool2d_with_indices(x, 2)
    values_t, indices_t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(values, values_t.numpy())
    np.testing.assert_array_equal(indices, indices_t.numpy())
    np.testing.assert_array_equal(cnn.max_unpool2d(values, indices, (6, 8)),
                                  torch.nn.functional.max_unpool2d(values_t, indices_t, 2).numpy())


def test_bed_of_nails_puts_each_value_in_the_top_left_corner():
    out = cnn.bed_of_nails(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), 2)
    np.testing.assert_array_equal(out[0, 0], [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])


def test_occlusion_of_a_linear_score_is_the_hidden_weighted_sum():
    rng = np.random.default_rng(1)
    weights, image = rng.normal(size=(2, 1, 5, 6)), rng.normal(size=(1, 5, 6))
    def score(batch):
        return np.einsum("bchw,kchw->bk", batch, weights)

    saliency = cnn.occlusion_saliency(score, image, target=1, patch_size=2, stride=2, fill=0.5, batch_size=4)
    assert saliency.shape == (2, 3)
    occluded = weights[1] * (image - 0.5)
    expected = [[np.sum(occluded[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2]) for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(saliency, expected, rtol=1e-12)


@pytest.mark.parametrize("build,shape,parameters,out_shape", [
    (cnn.lenet5, (1, 1, 28, 28), 61_706, (1, 10)),
    (cnn.inception_module, (1, 192, 28, 28), 163_696, (1, 256, 28, 28)),
    (cnn.small_resnet, (2, 1, 28, 28), 77_754, (2, 10)),
])
def test_architectures_agree_between_dlcourse_and_torch(build, shape, parameters, out_shape):
    dlcourse.manual_seed(0)
    ours = build(dlcourse).double().eval()
    twin = build(torch).double().eval()
    twin.load_state_dict({k: torch.tensor(np.asarray(v.data)) for k, v in ours.state_dict().items()})
    assert cnn.count_parameters(ours) == cnn.count_parameters(twin) == parameters
    x = np.random.default_rng(2).normal(size=shape)
    with dlcourse.no_grad():
        a = ours(dlcourse.tensor(x)).numpy()
    b = twin(torch.tensor(x)).detach().numpy()
    assert a.shape == out_shape
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("build,shape,parameters,out_shape", [
    (cnn.alexnet, (1, 3, 224, 224), 61_100_840, (1, 1000)), (cnn.vgg16, (1, 3, 224, 224), 138_357_544, (1, 1000)),
    (cnn.resnet18, (1, 3, 224, 224), 11_689_512, (1, 1000)), (cnn.unet, (1, 1, 572, 572), 31_030_658, (1, 2, 388, 388)),
])
def test_large_architectures_have_the_published_sizes(build, shape, parameters, out_shape):
    with torch.device("meta"):                   # shapes only: the same definition, nothing allocated
        twin = build(torch).eval()
        assert tuple(twin(torch.empty(shape)).shape) == out_shape
    assert cnn.count_parameters(twin) == parameters
