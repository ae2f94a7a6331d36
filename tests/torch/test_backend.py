"""dlcourse.torch: device choice, the twin reference models, and the fit loop."""

import numpy as np
import pytest

import dlcourse
from dlcourse import models

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402


def test_best_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert dltorch.best_device().type == "cpu"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert dltorch.best_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dltorch.best_device().type == "cuda"


@pytest.mark.parametrize("builder,shape", [("mlp", (4, 784)), ("small_cnn", (2, 1, 28, 28))])
def test_dlcourse_and_torch_reference_models_compute_the_same_function(builder, shape, rng):
    args = ([784, 32, 16, 10],) if builder == "mlp" else ()
    dl_model = getattr(models, builder)(*args).double()
    t_model = dltorch.load_dlcourse_state(getattr(dltorch.models, builder)(*args).double(), dl_model)
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(dl_model(dlcourse.Tensor(x)).data,
                               t_model(torch.tensor(x)).detach().numpy(), rtol=1e-7, atol=1e-12)


def test_fit_lowers_the_loss_on_the_cpu_and_evaluate_reports_accuracy():
    X, y = dlcourse.data.make_moons(n_samples=256, noise=0.1, seed=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    model = dltorch.models.mlp([2, 32, 2])
    history = dltorch.fit(model, loader, torch.optim.Adam(model.parameters(), 0.02), torch.nn.CrossEntropyLoss(),
                          epochs=15, device="cpu", progress=False)
    assert len(history) == 15 and history[-1] < 0.5 * history[0]
    assert dltorch.evaluate(model, loader, device="cpu") > 0.9


def test_fit_accepts_a_dlcourse_data_loader():
    X, y = dlcourse.data.make_xor(n_samples=64, seed=1)
    loader = dlcourse.data.DataLoader(dlcourse.data.TensorDataset(X, y), batch_size=16)
    model = dltorch.models.mlp([2, 8, 2])
    history = dltorch.fit(model, loader, torch.optim.SGD(model.parameters(), 0.1), torch.nn.CrossEntropyLoss(),
                          epochs=2, device="cpu", progress=False)
    assert all(np.isfinite(history))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_trains_in_mixed_precision_on_cuda():
    X, y = dlcourse.data.make_spirals(n_samples=512, seed=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    model = dltorch.models.mlp([2, 64, 64, 3])
    history = dltorch.fit(model, loader, torch.optim.Adam(model.parameters(), 0.01), torch.nn.CrossEntropyLoss(),
                          epochs=30, device="cuda", progress=False)
    assert next(model.parameters()).device.type == "cuda"
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("builder,kwargs", [
    ("mlp", {"sizes": [784, 256, 256, 10]}),
    ("mlp", {"sizes": [2, 8, 8, 3], "dropout": 0.2}),
    ("mlp", {"sizes": [5, 1]}),
    ("small_cnn", {}),
    ("small_cnn", {"in_channels": 3, "num_classes": 4, "width": 6, "image_size": 32}),
])
def test_one_builder_gives_both_engines_the_same_layers_and_parameters(builder, kwargs):
    dl_model, t_model = getattr(models, builder)(**kwargs), getattr(dltorch.models, builder)(**kwargs)
    assert [type(m).__name__ for m in dl_model] == [type(m).__name__ for m in t_model]
    dl_shapes = {name: tuple(p.shape) for name, p in dl_model.named_parameters()}
    t_shapes = {name: tuple(p.shape) for name, p in t_model.named_parameters()}
    assert dl_shapes == t_shapes
    assert sum(p.numel() for p in dl_model.parameters()) == sum(p.numel() for p in t_model.parameters())
    if builder == "mlp" and kwargs.get("dropout"):
        assert [m.p for m in t_model if isinstance(m, torch.nn.Dropout)] == [0.2, 0.2]


def test_the_builders_take_an_activation_from_either_namespace():
    layers = [type(m).__name__ for m in models.mlp([2, 4, 1], activation=dlcourse.nn.Tanh)]
    assert layers == ["Linear", "Tanh", "Linear"]
    assert isinstance(dltorch.models.mlp([2, 4, 1], activation=torch.nn.Tanh)[1], torch.nn.Tanh)
    assert isinstance(dltorch.models.mlp([2, 4, 1])[0], torch.nn.Linear)
    assert isinstance(models.mlp([2, 4, 1])[0], dlcourse.nn.Linear)


def test_the_torch_models_are_the_same_files_loaded_with_torch_as_the_engine():
    import dlcourse.torch.models.cnn as torch_cnn
    from dlcourse.models import cnn as numpy_cnn

    assert torch_cnn.__file__ == numpy_cnn.__file__
    assert torch_cnn.nn is torch.nn and numpy_cnn.nn is dlcourse.nn
    block = dltorch.models.resnet18(num_classes=3)[4]
    assert isinstance(block, dltorch.models.BasicBlock) and isinstance(block, torch.nn.Module)
    assert not isinstance(block, models.BasicBlock)
    assert isinstance(models.resnet18(num_classes=3)[4], models.BasicBlock)
