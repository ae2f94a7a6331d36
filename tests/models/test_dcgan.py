"""dlcourse.models.dcgan on both engines: the same parameters and buffers, the same function once a
state dict moves across (with batch statistics in training mode, running ones in evaluation mode),
and the shapes of images and logits."""

import numpy as np
import pytest

import dlcourse
from dlcourse import models

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402


def _shapes(module):
    return {name: tuple(value.shape) for name, value in module.state_dict().items()}


def test_both_engines_have_the_same_parameter_and_buffer_names_and_shapes():
    ours, twin = models.dcgan(), dltorch.models.dcgan()
    for a, b in zip(ours, twin):
        assert _shapes(a) == _shapes(b)
    generator, discriminator = _shapes(ours[0]), _shapes(ours[1])
    assert generator["project.weight"] == (32 * 7 * 7, 16) and generator["up2.weight"] == (16, 1, 4, 4)
    assert discriminator["conv1.weight"] == (16, 1, 4, 4) and discriminator["head.weight"] == (1, 32 * 7 * 7)
    assert "bn0.running_mean" in generator and "bn2.running_var" in discriminator
    assert sum(p.data.size for p in ours[0].parameters()) == 35_217
    assert sum(p.data.size for p in ours[1].parameters()) == 10_129


@pytest.mark.parametrize("training", [True, False])
def test_the_same_state_dict_gives_the_same_images_and_logits(training, rng):
    dlcourse.manual_seed(0)
    ours = [m.double() for m in models.dcgan(latent_dim=8)]
    twin = [dltorch.load_dlcourse_state(t.double(), o) for t, o in zip(dltorch.models.dcgan(latent_dim=8), ours)]
    for module in (*ours, *twin):
        module.train(training)
    z = rng.standard_normal((6, 8))
    images = ours[0](dlcourse.Tensor(z))
    twin_images = twin[0](torch.tensor(z))
    np.testing.assert_allclose(images.data, twin_images.detach().numpy(), rtol=1e-9, atol=1e-12)
    logits = ours[1](images)
    np.testing.assert_allclose(logits.data, twin[1](twin_images).detach().numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("engine", ["dlcourse", "torch"])
def test_images_are_28_by_28_in_minus_one_to_one_and_the_discriminator_gives_one_logit(engine):
    library, make = (models, dlcourse.Tensor) if engine == "dlcourse" else (dltorch.models, torch.from_numpy)
    generator, discriminator = library.dcgan()
    z = make(np.random.default_rng(1).standard_normal((5, 16)).astype(np.float32) * 10)
    images = generator(z)
    values = np.asarray(images.data if engine == "dlcourse" else images.detach())
    assert values.shape == (5, 1, 28, 28) and values.min() >= -1 and values.max() <= 1
    assert tuple(discriminator(images).shape) == (5, 1)


def test_dcgan_builds_the_generator_first():
    dlcourse.manual_seed(4)
    generator, _ = models.dcgan()
    dlcourse.manual_seed(4)
    alone = models.DCGANGenerator()
    for (name, a), b in zip(generator.state_dict().items(), alone.state_dict().values()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
