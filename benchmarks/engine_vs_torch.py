"""Time one training step (forward, backward, Adam step) of the same models in dlcourse and PyTorch.

Run:  python benchmarks/engine_vs_torch.py [--repeats 30] [--runs 3] [--clock cpu]

Both run on the CPU with the same number of threads (PyTorch is set to OpenBLAS's thread count, as
reported by threadpoolctl; set OPENBLAS_NUM_THREADS before starting Python to change it). Steps are
interleaved (dlcourse, torch, dlcourse, ...) so that both see the same machine load, and the best
(minimum) time of each is reported: the least disturbed by other processes. On a busy machine, ask
for several ``--runs``: each run measures every model again, and the summary gives the median ratio.
``--clock cpu`` times the CPU time of the calling thread instead of the wall clock: time spent waiting
for a core does not count, so it stays meaningful on a machine that other jobs keep busy, but the work
of other threads does not count either, so use it with one thread only. Not a test: the numbers
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


def interleaved_best(fns, repeats, clock=time.perf_counter, warmup=3):
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            start = clock()
            fn()
            bucket.append(clock() - start)
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


def measure(repeats, clock):
    """One run: the best step times (seconds) of both models on both engines, printed as they come."""
    rng = np.random.default_rng(0)
    dlcourse.manual_seed(0)
    y = rng.integers(0, 10, 128)

    x = rng.standard_normal((128, 784)).astype(np.float32)
    dl_mlp = models.mlp([784, 256, 256, 10])
    t_mlp = load_dlcourse_state(torch_mlp([784, 256, 256, 10]), dl_mlp)
    dl_step, torch_step = make_steps(dl_mlp, t_mlp, x, y)
    matmul_only = lambda: mlp_matmuls(dl_mlp, x)  # noqa: E731
    mlp_times = interleaved_best([dl_step, torch_step, matmul_only], repeats, clock)
    dl_time, torch_time, matmul_time = mlp_times
    print(f"MLP 784-256-256-10: dlcourse {dl_time * 1e3:.2f} ms, torch {torch_time * 1e3:.2f} ms, "
          f"ratio {dl_time / torch_time:.2f} (target <= 1.25)")
    print(f"  fraction of the dlcourse MLP step in matrix multiplication: {matmul_time / dl_time:.0%}")

    images = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    dl_cnn = models.small_cnn()
    t_cnn = load_dlcourse_state(torch_small_cnn(), dl_cnn)
    dl_step, torch_step = make_steps(dl_cnn, t_cnn, images, y)
    dl_time, torch_time = interleaved_best([dl_step, torch_step], repeats, clock)
    print(f"small CNN (conv8-pool-conv16-pool-linear): dlcourse {dl_time * 1e3:.2f} ms, torch "
          f"{torch_time * 1e3:.2f} ms, ratio {dl_time / torch_time:.2f} (target <= 1.5)")
    return {"MLP": mlp_times[:2], "small CNN": (dl_time, torch_time)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per model and engine in one run")
    parser.add_argument("--runs", type=int, default=1, help="independent runs; the summary gives the median ratio")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: elapsed time; cpu: CPU time of this thread (for one thread on a busy machine)")
    args = parser.parse_args()
    threads = blas_threads()
    torch.set_num_threads(threads)
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    print(f"threads: numpy/OpenBLAS {threads}, torch {torch.get_num_threads()}; batch 128, float32, Adam; "
          f"{args.clock} clock")
    if args.clock == "cpu" and threads > 1:
        print("  warning: the cpu clock counts this thread only, not the work of the other threads")
    runs = []
    for run in range(args.runs):
        if args.runs > 1:
            print(f"run {run + 1} of {args.runs}")
        runs.append(measure(args.repeats, clock))
    if args.runs > 1:
        print(f"median over {args.runs} runs ({threads} thread{'s' if threads > 1 else ''}):")
        for model in runs[0]:
            ratios = [dl / t for dl, t in (run[model] for run in runs)]
            dl_ms, torch_ms = (1e3 * float(np.median([run[model][i] for run in runs])) for i in (0, 1))
            print(f"  {model:9s}: ratio {np.median(ratios):.2f} (runs: {', '.join(f'{r:.2f}' for r in ratios)}); "
                  f"dlcourse {dl_ms:.2f} ms, torch {torch_ms:.2f} ms")


if __name__ == "__main__":
    main()
