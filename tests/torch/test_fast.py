"""dlcourse.torch's fast path: the device-resident loader, fit without per-step synchronisation,
mixed precision and CUDA graphs (the CUDA tests run only where a GPU is present)."""

import numpy as np
import pytest

import dlcourse

torch = pytest.importorskip("torch")
from dlcourse import torch as dltorch  # noqa: E402
from dlcourse.torch import training  # noqa: E402


def moons(n=200):
    X, y = dlcourse.data.make_moons(n_samples=n, noise=0.1, seed=0)
    return torch.from_numpy(X).float(), torch.from_numpy(y)


def plain_fit(model, batches, optimizer, loss_fn, epochs):
    """The textbook loop (loss.item() after every step): the reference fit must agree with."""
    history = []
    for _ in range(epochs):
        total = count = 0
        for inputs, targets in batches():
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(targets)
            count += len(targets)
        history.append(total / count)
    return history


def model_and_optimizer(seed=0):
    torch.manual_seed(seed)
    model = dltorch.models.mlp([2, 16, 2])
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


# --- DeviceLoader ---------------------------------------------------------------------------------

def test_device_loader_yields_every_sample_once_per_epoch_in_a_new_order():
    X, y = torch.arange(10.0).reshape(10, 1), torch.arange(10)
    loader = dltorch.DeviceLoader(X, y, batch_size=4, shuffle=True, device="cpu", seed=3)
    orders = []
    for _ in range(3):
        batches = list(loader)
        assert [len(b[1]) for b in batches] == [4, 4, 2] and len(loader) == 3
        order = torch.cat([b[1] for b in batches])
        assert sorted(order.tolist()) == list(range(10))
        assert torch.equal(torch.cat([b[0] for b in batches]).flatten(), order.float())  # pairs stay together
        orders.append(order.tolist())
    assert orders[0] != orders[1] != orders[2]
    again = dltorch.DeviceLoader(X, y, batch_size=4, shuffle=True, device="cpu", seed=3)
    assert torch.cat([b[1] for b in again]).tolist() == orders[0]  # the seed fixes the sequence


def test_device_loader_keeps_order_and_drops_the_last_partial_batch_when_asked():
    X = np.arange(14.0).reshape(7, 2)
    batches = list(dltorch.DeviceLoader(X, batch_size=3, device="cpu"))
    assert [b[0].shape[0] for b in batches] == [3, 3, 1]
    assert torch.equal(torch.cat([b[0] for b in batches]), torch.from_numpy(X))
    dropped = dltorch.DeviceLoader(X, batch_size=3, drop_last=True, device="cpu")
    assert len(dropped) == 2 and [b[0].shape[0] for b in dropped] == [3, 3]


def test_device_loader_takes_numpy_and_dlcourse_tensors_and_checks_lengths():
    loader = dltorch.DeviceLoader(dlcourse.Tensor(np.ones((4, 2))), np.zeros(4, dtype=np.int64), device="cpu")
    inputs, targets = next(iter(loader))
    assert isinstance(inputs, torch.Tensor) and inputs.shape == (4, 2) and targets.dtype == torch.int64
    with pytest.raises(ValueError, match=r"same first dimension, got lengths \[4, 3\]"):
        dltorch.DeviceLoader(np.ones((4, 2)), np.zeros(3), device="cpu")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        dltorch.DeviceLoader(np.ones(4), batch_size=0, device="cpu")


@pytest.mark.parametrize("n,world_size", [(10, 2), (11, 2), (10, 3), (5, 4)])
def test_device_loader_shards_an_epoch_across_ranks_like_distributed_sampler(n, world_size):
    y = torch.arange(n)
    shares = [torch.cat([b[0] for b in dltorch.DeviceLoader(y, batch_size=2, shuffle=True, device="cpu", seed=1,
                                                            rank=rank, world_size=world_size)])
              for rank in range(world_size)]
    assert len({len(share) for share in shares}) == 1  # equal shares: no rank waits for another
    everything = torch.cat(shares).tolist()
    assert set(everything) == set(range(n)) and len(everything) == -(-n // world_size) * world_size
    for rank, share in enumerate(shares):  # the same indices DistributedSampler gives that rank
        sampler = torch.utils.data.DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
        assert share.tolist() == [order[i].item() for i in sampler]
    with pytest.raises(ValueError, match=r"rank must be in \[0, world_size=2\), got 2"):
        dltorch.DeviceLoader(y, device="cpu", rank=2, world_size=2)


# --- fit: same numbers as the plain loop ---------------------------------------------------------

def test_fit_with_the_device_loader_matches_the_plain_loop_step_for_step():
    X, y = moons()
    model, optimizer = model_and_optimizer()
    history = dltorch.fit(model, dltorch.DeviceLoader(X, y, batch_size=32, shuffle=True, device="cpu", seed=5),
                          optimizer, torch.nn.CrossEntropyLoss(), epochs=4, device="cpu", progress=False)
    reference, reference_optimizer = model_and_optimizer()
    generator = torch.Generator().manual_seed(5)  # the loader's permutations, drawn the same way

    def batches():
        order = torch.randperm(len(y), generator=generator)
        return [(X[index], y[index]) for index in order.split(32)]

    expected = plain_fit(reference, batches, reference_optimizer, torch.nn.CrossEntropyLoss(), epochs=4)
    np.testing.assert_allclose(history, expected, rtol=1e-6)
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)
    assert history[-1] < 0.75 * history[0]


def test_fit_gives_the_same_losses_from_a_torch_data_loader_and_the_device_loader():
    X, y = moons(150)  # 150 = 4 full batches of 32 and a last one of 22
    results = []
    for loader in (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32),
                   dltorch.DeviceLoader(X, y, batch_size=32, device="cpu")):
        model, optimizer = model_and_optimizer()
        results.append(dltorch.fit(model, loader, optimizer, torch.nn.CrossEntropyLoss(), epochs=3,
                                   device="cpu", progress=False))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-7)


def test_fit_weights_the_last_partial_batch_by_its_size():
    X, y = torch.zeros(5, 2), torch.zeros(5, dtype=torch.int64)
    model = torch.nn.Linear(2, 2)
    losses = iter([1.0, 4.0])  # a batch of 4 with mean loss 1, then a batch of 1 with loss 4

    def loss_fn(outputs, targets):
        return outputs.sum() * 0 + next(losses)

    history = dltorch.fit(model, dltorch.DeviceLoader(X, y, batch_size=4, device="cpu"),
                          torch.optim.SGD(model.parameters(), 0.1), loss_fn, device="cpu", progress=False)
    assert history == [pytest.approx((4 * 1.0 + 1 * 4.0) / 5)]


def test_fit_reads_the_loss_only_every_log_every_steps_for_the_progress_bar(monkeypatch):
    bars = []

    class RecordingBar:
        def __init__(self, total=None, disable=False, **kwargs):
            self.total, self.disable, self.updates, self.postfixes = total, disable, [], []
            bars.append(self)

        def update(self, n):
            self.updates.append(n)

        def set_postfix(self, **kwargs):
            self.postfixes.append(kwargs["loss"])

        def close(self):
            pass

    monkeypatch.setattr(training, "tqdm", RecordingBar)
    X, y = moons(200)
    model, optimizer = model_and_optimizer()
    loader = dltorch.DeviceLoader(X, y, batch_size=10, device="cpu")  # 20 steps per epoch
    dltorch.fit(model, loader, optimizer, torch.nn.CrossEntropyLoss(), epochs=2, device="cpu", log_every=8)
    assert len(bars) == 2 and all(bar.total == 20 and not bar.disable for bar in bars)
    assert all(bar.updates == [8, 8, 4] and len(bar.postfixes) == 2 for bar in bars)
    dltorch.fit(model, loader, optimizer, torch.nn.CrossEntropyLoss(), device="cpu", progress=False)
    assert bars[-1].disable and bars[-1].postfixes == []


def test_evaluate_counts_correct_predictions_from_any_loader():
    X = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    model = torch.nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))  # predicts the index of the larger input
    y = torch.tensor([0, 1, 1, 1])
    assert dltorch.evaluate(model, dltorch.DeviceLoader(X, y, batch_size=3, device="cpu"), device="cpu") == 0.75
    assert dltorch.evaluate(model, [(X[:1], y[:1]), (X[1:], y[1:])], device="cpu") == 0.75


# --- the switches -------------------------------------------------------------------------------

def test_precision_auto_is_float32_off_cuda_and_names_are_checked():
    cpu = torch.device("cpu")
    assert dltorch.resolve_precision("auto", cpu) is None
    assert dltorch.resolve_precision("fp32", cpu) is None
    assert dltorch.resolve_precision("bf16", cpu) is torch.bfloat16
    assert dltorch.resolve_precision("fp16", cpu) is torch.float16
    with pytest.raises(ValueError, match=r"precision must be one of .*got 'half'"):
        dltorch.resolve_precision("half", cpu)


def test_precision_auto_on_cuda_prefers_bfloat16(monkeypatch):
    cuda = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert dltorch.resolve_precision("auto", cuda) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert dltorch.resolve_precision("auto", cuda) is torch.float16


def test_bf16_autocast_runs_the_layers_in_bfloat16_and_trains_like_float32():
    X, y = moons()
    seen = []
    histories = {}
    for precision in ("fp32", "bf16"):
        model, optimizer = model_and_optimizer()
        hook = model[0].register_forward_hook(lambda module, args, out: seen.append(out.dtype))
        histories[precision] = dltorch.fit(model, dltorch.DeviceLoader(X, y, batch_size=50, device="cpu"), optimizer,
                                           torch.nn.CrossEntropyLoss(), epochs=8, device="cpu", progress=False,
                                           precision=precision)
        hook.remove()
        assert next(model.parameters()).dtype == torch.float32  # the weights stay in float32
    assert seen[0] == torch.float32 and seen[-1] == torch.bfloat16
    np.testing.assert_allclose(histories["bf16"], histories["fp32"], rtol=0.05)


def test_fp16_uses_a_grad_scaler(monkeypatch):
    scalers = []
    original = torch.amp.GradScaler

    def recording_scaler(*args, **kwargs):
        scalers.append(original(*args, **kwargs))
        return scalers[-1]

    monkeypatch.setattr(torch.amp, "GradScaler", recording_scaler)
    X, y = moons(64)
    model, optimizer = model_and_optimizer()
    history = dltorch.fit(model, dltorch.DeviceLoader(X, y, batch_size=32, device="cpu"), optimizer,
                          torch.nn.CrossEntropyLoss(), epochs=2, device="cpu", progress=False, precision="fp16")
    assert len(scalers) == 1 and np.all(np.isfinite(history))
    dltorch.fit(model, [(X, y)], optimizer, torch.nn.CrossEntropyLoss(), device="cpu", progress=False, precision="bf16")
    assert len(scalers) == 1  # bfloat16 needs no loss scaling


def test_cuda_graph_switch_says_why_it_cannot_be_used():
    X, y = moons(32)
    model, optimizer = model_and_optimizer()
    with pytest.raises(ValueError, match="cuda_graph=True but a CUDA graph cannot be used: the device is cpu"):
        dltorch.fit(model, [(X, y)], optimizer, torch.nn.CrossEntropyLoss(), device="cpu", progress=False,
                    cuda_graph=True)
    with pytest.raises(ValueError, match="cuda_graph must be 'auto', True or False, got 'yes'"):
        dltorch.fit(model, [(X, y)], optimizer, torch.nn.CrossEntropyLoss(), device="cpu", progress=False,
                    cuda_graph="yes")
    assert not training._want_graph("auto", torch.device("cpu"), None, False)
    assert training._want_graph("auto", torch.device("cuda"), None, False)
    assert not training._want_graph("auto", torch.device("cuda"), object(), False)  # float16's GradScaler
    assert not training._want_graph("auto", torch.device("cuda"), None, True)  # DistributedDataParallel
    assert not training._want_graph(False, torch.device("cuda"), None, False)


def test_make_capturable_moves_adams_step_counters_to_the_parameters_device():
    model, optimizer = model_and_optimizer()
    X, y = moons(32)
    dltorch.fit(model, [(X, y)], optimizer, torch.nn.CrossEntropyLoss(), device="cpu", progress=False)
    training._make_capturable(optimizer)
    assert optimizer.param_groups[0]["capturable"]
    step = optimizer.state[next(model.parameters())]["step"]
    assert step.device.type == "cpu" and step.item() == 1
    sgd = torch.optim.SGD(model.parameters(), 0.1)
    training._make_capturable(sgd)  # nothing to switch on
    assert "capturable" not in sgd.param_groups[0]


# --- on a CUDA GPU -----------------------------------------------------------------------------

@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cuda_graph_training_matches_eager_training(precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    X, y = moons(330)  # 10 full batches of 32 and a last one of 10, handled eagerly
    histories, replays = {}, []
    original_replay = torch.cuda.CUDAGraph.replay

    def counting_replay(self):
        replays.append(1)
        return original_replay(self)

    for cuda_graph in (False, True):
        model, optimizer = model_and_optimizer()
        loader = dltorch.DeviceLoader(X, y, batch_size=32, shuffle=True, device="cuda", seed=2)
        torch.cuda.CUDAGraph.replay = counting_replay
        try:
            histories[cuda_graph] = dltorch.fit(model, loader, optimizer, torch.nn.CrossEntropyLoss(), epochs=5,
                                                device="cuda", progress=False, precision=precision,
                                                cuda_graph=cuda_graph)
        finally:
            torch.cuda.CUDAGraph.replay = original_replay
        if not cuda_graph:
            assert replays == []
    assert len(replays) == 5 * 10 - 3  # every full batch after the 3 warm-up steps
    np.testing.assert_allclose(histories[True], histories[False], rtol=1e-3 if precision == "bf16" else 1e-5)



@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_device_loader_shuffles_on_the_gpu_and_covers_every_sample():
    y = torch.arange(1000)
    loader = dltorch.DeviceLoader(y, batch_size=128, shuffle=True, device="cuda")
    batches = list(loader)
    assert all(b[0].is_cuda for b in batches) and len(batches) == 8
    assert sorted(torch.cat([b[0] for b in batches]).tolist()) == list(range(1000))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_fit_on_cuda_with_the_fast_defaults_reaches_the_eager_float32_accuracy():
    X, y = moons(1024)
    accuracies = []
    for options in ({"precision": "fp32", "cuda_graph": False}, {}):
        model, optimizer = model_and_optimizer()
        loader = dltorch.DeviceLoader(X, y, batch_size=64, shuffle=True, device="cuda")
        dltorch.fit(model, loader, optimizer, torch.nn.CrossEntropyLoss(), epochs=20, device="cuda",
                    progress=False, **options)
        accuracies.append(dltorch.evaluate(model, dltorch.DeviceLoader(X, y, batch_size=256, device="cuda")))
    assert accuracies[1] > 0.95 and abs(accuracies[1] - accuracies[0]) < 0.02
