"""Train chapter 10's character-level Transformer (the PyTorch twin) for longer and print its test perplexity.

Run:  python benchmarks/char_transformer.py [--steps 3000] [--threads 1]
          [--json benchmarks/results/char_transformer.json]

Lesson 3 of chapter 10 trains a small Transformer language model of Tiny Shakespeare (learned token and position
embeddings of width 48, two pre-norm blocks of 4 heads with a causal mask, a final LayerNorm and a linear read-out;
the training text cut into 64-character windows that do not overlap, shuffled into minibatches of 32 every pass;
Adam at 3e-3) for a few steps, to stay within the course's notebook budget. This script runs the same recipe for
``--steps`` steps with PyTorch (a ``torch.utils.data.DataLoader``) and, every ``--every`` steps, prints
the test perplexity per character on the lesson's test windows (the first 20,480 characters after the 90 % split)
with the seconds spent training so far, wall-clock and CPU time (on a shared machine the CPU time is the better
guide to an idle machine's wall time). The lesson quotes the figures this script measured. Not a test: the times
depend on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import time

import torch

import dlcourse
import dlcourse.torch
from dlcourse.data import load_tiny_shakespeare
from dlcourse.data.text import build_vocabulary, encode
from dlcourse.metrics import perplexity
from dlcourse.nn.transformer import causal_mask

CONTEXT = 64


class TorchCharTransformer(torch.nn.Module):
    """Lesson 3's model: token and position embeddings, pre-norm blocks with a causal mask, LayerNorm, read-out."""

    def __init__(self, vocab_size, d_model=48, nhead=4, num_layers=2, context=CONTEXT):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, d_model)
        self.position = torch.nn.Embedding(context, d_model)
        self.blocks = torch.nn.ModuleList([torch.nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0,
                                                                            batch_first=True, norm_first=True)
                                           for _ in range(num_layers)])
        self.norm = torch.nn.LayerNorm(d_model)
        self.head = torch.nn.Linear(d_model, vocab_size)

    def forward(self, ids):
        length = ids.shape[1]
        x = self.embed(ids) + self.position(torch.arange(length, device=ids.device))
        mask = torch.tensor(causal_mask(length), device=ids.device)
        for block in self.blocks:
            x = block(x, src_mask=mask)
        return self.head(self.norm(x))


def windows(tokens):
    """Lesson 3's windows: the CONTEXT-character windows of ``tokens`` that do not overlap, and the same one later."""
    n = (len(tokens) - 1) // CONTEXT
    inputs, targets = tokens[:n * CONTEXT].reshape(n, CONTEXT), tokens[1:n * CONTEXT + 1].reshape(n, CONTEXT)
    return torch.from_numpy(inputs), torch.from_numpy(targets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps (default 3000)")
    parser.add_argument("--every", type=int, default=500, help="evaluate every this many steps (default 500)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, as in the course's CI)")
    parser.add_argument("--device", default=None, help="torch device (default: dlcourse.torch.best_device())")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else dlcourse.torch.best_device()
    text = load_tiny_shakespeare()
    vocabulary = build_vocabulary(text)
    tokens = encode(text, vocabulary)
    split = int(0.9 * len(tokens))
    train_tokens, test_tokens = tokens[:split], tokens[split:]
    x_test, y_test = (t.to(device) for t in windows(test_tokens[:20 * CONTEXT * 16 + 1]))

    dlcourse.manual_seed(0)
    model = TorchCharTransformer(len(vocabulary)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*windows(train_tokens)), batch_size=32,
                                         shuffle=True)
    batches = (batch for _ in itertools.count() for batch in loader)     # pass after pass, reshuffled each time
    where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads" \
        if device.type == "cpu" else torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    parameters = sum(p.numel() for p in model.parameters())
    print(f"device {device} ({where}); {parameters:,} parameters; {len(loader)} steps per pass; uniform guess "
          f"perplexity {len(vocabulary)}")
    rows, seconds, cpu_seconds = [], 0.0, 0.0
    for step in range(1, args.steps + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        x, y = (t.to(device) for t in next(batches))
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, len(vocabulary)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start
        if step % args.every == 0 or step == args.steps:
            with torch.no_grad():
                test_loss = torch.nn.functional.cross_entropy(model(x_test).reshape(-1, len(vocabulary)),
                                                              y_test.reshape(-1)).item()
            rows.append({"step": step, "test_perplexity": round(perplexity(test_loss), 3),
                         "test_bits": round(test_loss / math.log(2), 4), "train_seconds": round(seconds, 1),
                         "train_cpu_seconds": round(cpu_seconds, 1)})
            print(f"step {step}: test perplexity {perplexity(test_loss):.2f} per character "
                  f"({test_loss / math.log(2):.2f} bits); {seconds:.0f} s of training so far "
                  f"({cpu_seconds:.0f} s of CPU time)", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"device": str(device), "where": where, "parameters": parameters, "batch_size": 32,
                       "context": CONTEXT, "steps_per_pass": len(loader), "evaluations": rows}, file, indent=1)
            file.write("\n")


if __name__ == "__main__":
    main()
