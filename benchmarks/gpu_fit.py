"""Train the course's MLP and small CNN on MNIST with ``dlcourse.torch.fit`` on every device present.

Run:  python benchmarks/gpu_fit.py [--epochs 2] [--batch-size 128] [--limit N] [--json results.json]

For each model (``mlp([784, 256, 256, 10])`` and ``small_cnn(width=16)``) and each device (the CPU
always; CUDA and Apple's MPS when present, otherwise their rows say "not present") it trains for
``--epochs`` epochs with Adam and prints the seconds per epoch, the test accuracy and how many
times faster than the CPU the device is. Seconds per epoch = the wall time of one ``fit`` call over
all epochs divided by the epochs, after a one-epoch warm-up run on a throw-away model (so CUDA's
start-up, cuDNN's algorithm search and the allocator's first requests are not counted; the CUDA
graph's capture, done by every ``fit`` call, is).

The defaults are the fast path: the data set kept on the device (``DeviceLoader``), no per-step
synchronisation, ``precision="auto"`` and ``cuda_graph="auto"``. ``--loader torch --precision fp32
--cuda-graph off`` reproduces the plain pipeline (a torch ``DataLoader`` over a ``TensorDataset``,
every batch copied from the host) for a before/after comparison. ``--limit`` trains on the first N
training images only (a quick check on a slow machine). Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

import dlcourse
from dlcourse import torch as dltorch

MODELS = {
    "mlp": ("mlp([784, 256, 256, 10])", lambda: dltorch.models.mlp([784, 256, 256, 10]), (-1, 784)),
    "cnn": ("small_cnn(width=16)", lambda: dltorch.models.small_cnn(width=16), (-1, 1, 28, 28)),
}


def devices() -> dict[str, torch.device | None]:
    """The CPU, and CUDA / MPS where present (None where not)."""
    mps = getattr(torch.backends, "mps", None)
    return {"cpu": torch.device("cpu"),
            "cuda": torch.device("cuda") if torch.cuda.is_available() else None,
            "mps": torch.device("mps") if mps is not None and mps.is_available() else None}


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    return device.type


def mnist(limit: int | None):
    images, labels = dlcourse.data.load_mnist("train")
    test_images, test_labels = dlcourse.data.load_mnist("test")
    images, labels = images[:limit], labels[:limit]

    def scaled(x):
        return torch.from_numpy(x.copy()).float().div_(255)

    train_set = scaled(images), torch.from_numpy(labels.copy())
    return train_set, (scaled(test_images), torch.from_numpy(test_labels.copy()))


def loader_for(kind: str, X, y, batch_size: int, device: torch.device, seed: int):
    if kind == "device":
        return dltorch.DeviceLoader(X, y, batch_size=batch_size, shuffle=True, device=device, seed=seed)
    dataset = torch.utils.data.TensorDataset(X, y)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                       generator=torch.Generator().manual_seed(seed))


def train(model_key, device, train_set, test_set, args) -> dict:
    _, build, shape = MODELS[model_key]
    X, y = train_set[0].reshape(shape), train_set[1]
    options = {"precision": args.precision, "cuda_graph": {"auto": "auto", "off": False}[args.cuda_graph],
               "progress": False, "device": device}
    loss_fn = torch.nn.CrossEntropyLoss()
    # Warm-up: one epoch on a throw-away model (device start-up, cuDNN's search, first allocations).
    warm = build()
    dltorch.fit(warm, loader_for(args.loader, X, y, args.batch_size, device, 1),
                torch.optim.Adam(warm.parameters(), 1e-3), loss_fn, epochs=1, **options)
    torch.manual_seed(0)
    model = build().to(device)
    loader = loader_for(args.loader, X, y, args.batch_size, device, 0)
    start = time.perf_counter()
    history = dltorch.fit(model, loader, torch.optim.Adam(model.parameters(), 1e-3), loss_fn, epochs=args.epochs,
                          **options)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    test = dltorch.DeviceLoader(test_set[0].reshape(shape), test_set[1], batch_size=1000, device=device)
    return {"seconds_per_epoch": seconds / args.epochs, "loss": history[-1],
            "test_accuracy": dltorch.evaluate(model, test, device=device)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["mlp", "cnn"])
    parser.add_argument("--loader", choices=["device", "torch"], default="device")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default="auto")
    parser.add_argument("--cuda-graph", choices=["auto", "off"], default="auto")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    train_set, test_set = mnist(args.limit)
    print(f"MNIST: {len(train_set[1])} training images, {len(test_set[1])} test images; batch {args.batch_size}, "
          f"Adam, {args.epochs} epochs; loader={args.loader}, precision={args.precision}, "
          f"cuda_graph={args.cuda_graph}; torch {torch.__version__}")
    rows = []
    for model_key in args.models:
        cpu_seconds = None
        for name, device in devices().items():
            row = {"model": MODELS[model_key][0], "device": name}
            if device is None:
                row["status"] = "not present"
            else:
                row.update(train(model_key, device, train_set, test_set, args), status="measured",
                           hardware=device_name(device))
                if name == "cpu":
                    cpu_seconds = row["seconds_per_epoch"]
                row["speedup_vs_cpu"] = cpu_seconds / row["seconds_per_epoch"]
            rows.append(row)
            print(format_row(row), flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"arguments": vars(args), "torch": torch.__version__, "rows": rows}, file, indent=1)
    return rows


def format_row(row: dict) -> str:
    head = f"| {row['model']:<24} | {row['device']:<4} |"
    if row["status"] != "measured":
        return f"{head} {'not present':>12} |"
    return (f"{head} {row['seconds_per_epoch']:9.3f} s/epoch | test accuracy {row['test_accuracy']:.2%} | "
            f"{row['speedup_vs_cpu']:5.2f}x the CPU | {row['hardware']}")


if __name__ == "__main__":
    main()
