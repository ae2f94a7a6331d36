"""dlcourse.torch.fit inside a torch.distributed process group: two CPU processes (gloo backend)
started by torchrun, as a course would start them on two GPUs.

The test runs this file under ``python -m torch.distributed.run --standalone --nproc-per-node 2``
(torchrun picks a free port); each rank trains and saves what it ended with, and the test, back in
the pytest process, compares the ranks with each other and with one process trained on the
concatenated batch.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import dlcourse  # noqa: E402
from dlcourse import torch as dltorch  # noqa: E402

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

WORLD_SIZE = 2
TIMEOUT_S = 180


def full_batch():
    """16 samples of the two-moons data in float64; rank r gets samples 8r..8r+7."""
    X, y = dlcourse.data.make_moons(n_samples=16, noise=0.1, seed=3)
    return torch.from_numpy(X).double(), torch.from_numpy(y)


def one_step_model():
    torch.manual_seed(0)
    model = dltorch.models.mlp([2, 8, 2]).double()
    return model, torch.optim.SGD(model.parameters(), lr=0.5)  # SGD: the step is the gradient itself


def converging_data():
    X, y = dlcourse.data.make_moons(n_samples=400, noise=0.1, seed=0)
    return torch.from_numpy(X).float(), torch.from_numpy(y)


def converging_model():
    torch.manual_seed(1)
    model = dltorch.models.mlp([2, 32, 32, 2])
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def worker(out: Path):
    """What each rank runs (under torchrun)."""
    device = dltorch.init_distributed()
    rank = torch.distributed.get_rank()
    loss_fn = torch.nn.CrossEntropyLoss()
    results = {"world_size": torch.distributed.get_world_size(), "backend": torch.distributed.get_backend()}

    # 1. One DDP step on this rank's half of the batch.
    X, y = full_batch()
    half = len(y) // WORLD_SIZE
    model, optimizer = one_step_model()
    shard = [(X[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half])]
    results["one_step_loss"] = dltorch.fit(model, shard, optimizer, loss_fn, device=device, progress=False)
    results["one_step"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    # 2. A few epochs with the device loader, which takes this rank's share of every epoch.
    X, y = converging_data()
    model, optimizer = converging_model()
    loader = dltorch.DeviceLoader(X, y, batch_size=25, shuffle=True, device=device)
    results["shard_size"] = loader.num_samples
    results["history"] = dltorch.fit(model, loader, optimizer, loss_fn, epochs=12, device=device, progress=False)
    results["accuracy"] = dltorch.evaluate(model, dltorch.DeviceLoader(X, y, batch_size=100, device=device),
                                           device=device)
    results["converged"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    # 3. A torch DataLoader with a DistributedSampler: fit advances the sampler's epoch.
    dataset = torch.utils.data.TensorDataset(X, y)
    sampler = torch.utils.data.DistributedSampler(dataset, shuffle=True, seed=0)
    loader = torch.utils.data.DataLoader(dataset, batch_size=25, sampler=sampler)
    results["sampler_history"] = dltorch.fit(model, loader, optimizer, loss_fn, epochs=3, device=device,
                                             progress=False)
    results["sampler_epoch"] = sampler.epoch
    results["main"] = dltorch.is_main_process()
    torch.save(results, out / f"rank{rank}.pt")
    dltorch.cleanup_distributed()


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Run this file on two gloo processes under torchrun; the results each rank saved."""
    out = tmp_path_factory.mktemp("ddp")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={WORLD_SIZE}",
               __file__, str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"torchrun with {WORLD_SIZE} gloo processes did not finish in {TIMEOUT_S} s "
                    f"(a rank waiting for another in a collective?):\n{error.stdout}\n{error.stderr}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"torchrun with {WORLD_SIZE} gloo processes failed (exit {done.returncode}):\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}", pytrace=False)
    return [torch.load(out / f"rank{rank}.pt") for rank in range(WORLD_SIZE)]


def test_the_ranks_formed_one_gloo_process_group(ranks):
    assert [r["world_size"] for r in ranks] == [WORLD_SIZE] * WORLD_SIZE
    assert {r["backend"] for r in ranks} == {"gloo"}
    assert [r["main"] for r in ranks] == [True, False]


def test_one_ddp_step_equals_one_step_on_the_concatenated_batch(ranks):
    X, y = full_batch()
    model, optimizer = one_step_model()
    expected_loss = dltorch.fit(model, [(X, y)], optimizer, torch.nn.CrossEntropyLoss(), device="cpu",
                                progress=False)
    for name, value in model.state_dict().items():
        for rank in ranks:  # gradients averaged over the ranks: the full batch's mean gradient
            torch.testing.assert_close(rank["one_step"][name], value, rtol=1e-6, atol=1e-6)
    initial, _ = one_step_model()
    moved = [(model.state_dict()[k] - v).abs().max() for k, v in initial.state_dict().items()]
    assert max(moved) > 1e-3  # the step did something the comparison can see
    # The reported loss is the mean over both ranks' samples: the full batch's loss before the step.
    assert ranks[0]["one_step_loss"] == ranks[1]["one_step_loss"] == pytest.approx(expected_loss, rel=1e-9)


def test_ddp_training_converges_with_the_ranks_in_step(ranks):
    X, _ = converging_data()
    assert [r["shard_size"] for r in ranks] == [len(X) // WORLD_SIZE] * WORLD_SIZE
    history = ranks[0]["history"]
    assert history == ranks[1]["history"]  # the loss reported is averaged over all ranks
    assert history[-1] < 0.3 * history[0]
    assert ranks[0]["accuracy"] == ranks[1]["accuracy"] > 0.95
    for name, value in ranks[0]["converged"].items():
        torch.testing.assert_close(ranks[1]["converged"][name], value, rtol=0, atol=0)


def test_fit_sets_the_distributed_samplers_epoch(ranks):
    assert [r["sampler_epoch"] for r in ranks] == [2, 2]
    assert ranks[0]["sampler_history"] == ranks[1]["sampler_history"]


if __name__ == "__main__":
    worker(Path(sys.argv[1]))
