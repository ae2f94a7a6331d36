"""dlcourse.models and dlcourse.torch.models: the convolutional architectures and their blocks, on both engines."""

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.models
import dlcourse.torch
from dlcourse.nn.utils import count_parameters

ARCHITECTURES = ["small_cnn", "lenet5", "alexnet", pytest.param("vgg16", marks=pytest.mark.slow), "inception_module",
                 "resnet18", "small_resnet", "unet"]


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_both_engines_build_the_same_parameter_names_and_shapes(name):
    ours = getattr(dlcourse.models, name)()
    with torch.device("meta"):                   # shapes only: nothing is allocated for the twin
        twin = getattr(dlcourse.torch.models, name)()
    assert [(key, tuple(p.shape)) for key, p in ours.named_parameters()] == \
        [(key, tuple(p.shape)) for key, p in twin.named_parameters()]
    assert {key: tuple(t.shape) for key, t in ours.state_dict().items()} == \
        {key: tuple(t.shape) for key, t in twin.state_dict().items()}        # buffers too (batch norm statistics)


@pytest.mark.parametrize("name,shape,parameters,out_shape", [
    ("lenet5", (1, 1, 28, 28), 61_706, (1, 10)),
    ("inception_module", (1, 192, 28, 28), 163_696, (1, 256, 28, 28)),
    ("small_resnet", (2, 1, 28, 28), 77_754, (2, 10)),
    ("small_cnn", (3, 1, 28, 28), 9_098, (3, 10)),
])
def test_architectures_agree_between_dlcourse_and_torch(name, shape, parameters, out_shape):
    dlcourse.manual_seed(0)
    ours = getattr(dlcourse.models, name)().double().eval()
    twin = getattr(dlcourse.torch.models, name)().double().eval()
    twin.load_state_dict({k: torch.tensor(np.asarray(v.data)) for k, v in ours.state_dict().items()})
    assert count_parameters(ours) == count_parameters(twin) == parameters
    x = np.random.default_rng(2).normal(size=shape)
    with dlcourse.no_grad():
        a = ours(dlcourse.tensor(x)).numpy()
    b = twin(torch.tensor(x)).detach().numpy()
    assert a.shape == out_shape
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def test_load_dlcourse_state_moves_a_state_dict_to_the_twin():
    dlcourse.manual_seed(3)
    ours = dlcourse.models.lenet5().eval()
    twin = dlcourse.torch.load_dlcourse_state(dlcourse.torch.models.lenet5(), ours).eval()
    x = np.random.default_rng(4).normal(size=(2, 1, 28, 28)).astype(np.float32)
    with dlcourse.no_grad():
        a = ours(dlcourse.tensor(x)).numpy()
    np.testing.assert_allclose(a, twin(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,shape,parameters,out_shape", [
    ("alexnet", (1, 3, 224, 224), 61_100_840, (1, 1000)), ("vgg16", (1, 3, 224, 224), 138_357_544, (1, 1000)),
    ("resnet18", (1, 3, 224, 224), 11_689_512, (1, 1000)), ("unet", (1, 1, 572, 572), 31_030_658, (1, 2, 388, 388)),
])
def test_large_architectures_have_the_published_sizes(name, shape, parameters, out_shape):
    with torch.device("meta"):                   # shapes only: the same definition, nothing allocated
        twin = getattr(dlcourse.torch.models, name)().eval()
        assert tuple(twin(torch.empty(shape)).shape) == out_shape
    assert count_parameters(twin) == parameters


@pytest.mark.parametrize("models,module", [(dlcourse.models, dlcourse.nn.Module),
                                           (dlcourse.torch.models, torch.nn.Module)])
def test_blocks_are_classes_of_each_engine(models, module):
    network = models.small_resnet()
    assert [type(network[i]) for i in (3, 4, 5)] == [models.BasicBlock] * 3
    assert isinstance(network[4], models.BasicBlock) and isinstance(network[6], models.GlobalAvgPool2d)
    assert isinstance(models.inception_module(), models.Inception)
    with torch.device("meta"):
        assert isinstance(models.resnet18()[4], models.BasicBlock)
        unet = models.unet(widths=(4, 8, 16))
    assert isinstance(unet, models.UNet) and isinstance(unet.down[0], models.DoubleConv)
    for block in (models.BasicBlock, models.Inception, models.UNet, models.DoubleConv, models.GlobalAvgPool2d):
        assert issubclass(block, module)
    other = dlcourse.torch.models if models is dlcourse.models else dlcourse.models
    assert not isinstance(network[4], other.BasicBlock)


def test_blocks_built_directly_agree_between_the_engines():
    dlcourse.manual_seed(5)
    ours = dlcourse.models.BasicBlock(4, 8, stride=2).double().eval()
    twin = dlcourse.torch.load_dlcourse_state(dlcourse.torch.models.BasicBlock(4, 8, stride=2).double(), ours).eval()
    x = np.random.default_rng(6).normal(size=(2, 4, 9, 9))
    with dlcourse.no_grad():
        a = ours(dlcourse.tensor(x)).numpy()
    assert a.shape == (2, 8, 5, 5)
    np.testing.assert_allclose(a, twin(torch.tensor(x)).detach().numpy(), rtol=1e-9, atol=1e-10)
