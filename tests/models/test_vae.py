"""dlcourse.models.VAE on both engines: the same parameters, the same function once a state dict
moves across, the same gradients, and the shapes of its outputs."""

import numpy as np
import pytest

import dlcourse
from dlcourse import models
from dlcourse.distributions import gaussian_kl

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402


def _pair(**sizes):
    dlcourse.manual_seed(0)
    ours = models.VAE(**sizes).double()
    return ours, dltorch.load_dlcourse_state(dltorch.models.VAE(**sizes).double(), ours)


def test_both_engines_have_the_same_parameter_names_and_shapes():
    ours, twin = models.VAE(), dltorch.models.VAE()
    ours_shapes = {name: tuple(p.shape) for name, p in ours.state_dict().items()}
    twin_shapes = {name: tuple(p.shape) for name, p in twin.state_dict().items()}
    assert ours_shapes == twin_shapes == {
        "encoder.0.weight": (256, 784), "encoder.0.bias": (256,), "encoder.2.weight": (4, 256), "encoder.2.bias": (4,),
        "decoder.0.weight": (256, 2), "decoder.0.bias": (256,), "decoder.2.weight": (784, 256),
        "decoder.2.bias": (784,)}


def test_the_same_state_dict_gives_the_same_outputs_and_gradients(rng):
    ours, twin = _pair(input_dim=12, hidden_dim=8, latent_dim=3)
    x, eps = rng.random((5, 12)), rng.standard_normal((5, 3))
    outputs = ours(dlcourse.Tensor(x), dlcourse.Tensor(eps))
    twin_outputs = twin(torch.tensor(x), torch.tensor(eps))
    for name, a, b in zip(("logits", "mu", "logvar"), outputs, twin_outputs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    # the negative ELBO of the chapter, differentiated by each engine
    ours_bce, twin_bce = dlcourse.nn.functional.binary_cross_entropy_with_logits, \
        torch.nn.functional.binary_cross_entropy_with_logits
    loss = ours_bce(outputs[0], dlcourse.Tensor(x), reduction="sum") + gaussian_kl(outputs[1], outputs[2]).sum()
    twin_loss = twin_bce(twin_outputs[0], torch.tensor(x), reduction="sum") \
        + gaussian_kl(twin_outputs[1], twin_outputs[2]).sum()
    loss.backward()
    twin_loss.backward()
    for (name, p), q in zip(ours.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_encode_splits_means_and_log_variances_and_zero_noise_decodes_the_mean(rng):
    ours, _ = _pair(input_dim=6, hidden_dim=5, latent_dim=2)
    x = dlcourse.Tensor(rng.random((4, 6)))
    statistics = ours.encoder(x).data
    mu, logvar = ours.encode(x)
    np.testing.assert_array_equal(mu.data, statistics[:, :2])
    np.testing.assert_array_equal(logvar.data, statistics[:, 2:])
    logits, _, _ = ours(x, dlcourse.Tensor(np.zeros((4, 2))))
    np.testing.assert_allclose(logits.data, ours.decode(mu).data, rtol=1e-12)


@pytest.mark.parametrize("engine", ["dlcourse", "torch"])
def test_output_shapes_and_noise_drawn_by_the_engine_without_eps(engine):
    library = models if engine == "dlcourse" else dltorch.models
    make = dlcourse.Tensor if engine == "dlcourse" else torch.from_numpy
    model = library.VAE(input_dim=784, hidden_dim=32, latent_dim=5)
    x = make(np.random.default_rng(0).random((7, 784)).astype(np.float32))
    dlcourse.manual_seed(3)
    logits, mu, logvar = model(x)
    assert tuple(logits.shape) == (7, 784) and tuple(mu.shape) == tuple(logvar.shape) == (7, 5)
    dlcourse.manual_seed(3)
    again = model(x)[0]
    np.testing.assert_array_equal(np.asarray(again.data if engine == "dlcourse" else again.detach()),
                                  np.asarray(logits.data if engine == "dlcourse" else logits.detach()))
