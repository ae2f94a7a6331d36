"""Time one training step (forward, backward, Adam step) of the same models in dlcourse and PyTorch.

Run:  python benchmarks/engine_vs_torch.py [--repeats 30]

Both run on the CPU with the same number of threads (PyTorch is set to OpenBLAS's thread count, as
reported by threadpoolctl; set OPENBLAS_NUM_THREADS before starting Python to change it). Steps are
interleaved (dlcourse, torch, dlcourse, ...) so that both see the same machine load, and the best
(minimum) time of each is reported: the least disturbed by other processes. Not a test: the numbers
depend on the machine.
"""

import argparse
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

import dlcourse
from dlcourse import models
from dlcourse.nn import functional as F
from dlcourse.torch import load_dlcourse_state
from dlcourse.torch.models import mlp as torch_mlp
from dlcourse.torch.models import small_cnn as torch_small_cnn


def blas_threads() -> int:
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else 1


def make_steps(dl_model, torch_model, x, y):
    dl_opt = dlcourse.optim.Adam(dl_model.parameters(), lr=1e-3)
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=1e-3)
    dl_x, dl_y = dlcourse.Tensor(x), dlcourse.Tensor(y)
    t_x, t_y = torch.from_numpy(x), torch.from_numpy(y)

    def dl_step():
        dl_opt.zero_grad()
        F.cross_entropy(dl_model(dl_x), dl_y).backward()
        dl_opt.step()

    def torch_step():
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(torch_model(t_x), t_y).backward()
        torch_opt.step()
    return dl_step, torch_step


def interleaved_best(fns, repeats, warmup=3):
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [min(t) for t in times]


def mlp_matmuls(dl_model, x):
    """The matrix products of one MLP training step, alone: forward X W^T, backward G^T X and G W
    (the last one not for the first layer, whose input needs no gradient)."""
    weights = [layer.weight.data for layer in dl_model if hasattr(layer, "weight")]
    activations = [x]
    for w in weights:
        activations.append(activations[-1] @ w.T)
    grad = np.ones_like(activations[-1])
    for i, (w, a) in enumerate(zip(reversed(weights), reversed(activations[:-1]))):
        _ = grad.T @ a
        if i < len(weights) - 1:
            grad = grad @ w
    return grad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    threads = blas_threads()
    torch.set_num_threads(threads)
    print(f"threads: numpy/OpenBLAS {threads}, torch {torch.get_num_threads()}; batch 128, float32, Adam")

    rng = np.random.default_rng(0)
    dlcourse.manual_seed(0)
    y = rng.integers(0, 10, 128)

    x = rng.standard_normal((128, 784)).astype(np.float32)
    dl_mlp = models.mlp([784, 256, 256, 10])
    t_mlp = load_dlcourse_state(torch_mlp([784, 256, 256, 10]), dl_mlp)
    dl_step, torch_step = make_steps(dl_mlp, t_mlp, x, y)
    matmul_only = lambda: mlp_matmuls(dl_mlp, x)  # noqa: E731
    dl_time, torch_time, matmul_time = interleaved_best([dl_step, torch_step, matmul_only], args.repeats)
    print(f"MLP 784-256-256-10: dlcourse {dl_time * 1e3:.2f} ms, torch {torch_time * 1e3:.2f} ms, "
          f"ratio {dl_time / torch_time:.2f} (target <= 1.25)")
    print(f"  fraction of the dlcourse MLP step in matrix multiplication: {matmul_time / dl_time:.0%}")

    images = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    dl_cnn = models.small_cnn()
    t_cnn = load_dlcourse_state(torch_small_cnn(), dl_cnn)
    dl_step, torch_step = make_steps(dl_cnn, t_cnn, images, y)
    dl_time, torch_time = interleaved_best([dl_step, torch_step], args.repeats)
    print(f"small CNN (conv8-pool-conv16-pool-linear): dlcourse {dl_time * 1e3:.2f} ms, torch "
          f"{torch_time * 1e3:.2f} ms, ratio {dl_time / torch_time:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
