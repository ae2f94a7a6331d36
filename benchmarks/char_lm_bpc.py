"""Train chapter 9's character-level LSTM (the PyTorch twin) for several passes and print bits per character.

Run:  python benchmarks/char_lm_bpc.py [--passes 5] [--threads 1] [--json benchmarks/results/char_lm_bpc.json]

Lesson 3 of chapter 9 trains ``dlcourse.torch.models.CharLSTM`` (an embedding of 32,
an LSTM of 128 units, a linear read-out) for a fraction of one pass over Tiny Shakespeare, to stay within the
course's notebook budget. This script runs the lesson's recipe unchanged (32 parallel streams, chunks of 64
characters, truncated BPTT with the state carried and detached, Adam at 1e-2, gradients clipped to a global
norm of 1) for ``--passes`` passes over the lesson's first 1,000,000 characters, and after every pass prints
the bits per character on the lesson's 20,000 validation characters and the seconds spent training so far
(wall-clock and CPU time: on a shared machine the CPU time is the better guide to an idle machine's wall time).
The lesson quotes the figure this script measured. Not a test: the times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import torch

import dlcourse
import dlcourse.torch
from dlcourse.data import load_tiny_shakespeare
from dlcourse.data.text import build_vocabulary, encode, truncated_bptt_batches
from dlcourse.metrics import bits_per_character
from dlcourse.models import detach_state


def train_one_pass(model, optimizer, chunks, device) -> float:
    """One pass of truncated BPTT over ``chunks``; returns the mean training loss in bits per character."""
    loss_function, state, total = torch.nn.CrossEntropyLoss(), None, 0.0
    model.train()
    for inputs, targets in chunks:
        state = detach_state(state)
        logits, state = model(torch.from_numpy(inputs).to(device), state)
        loss = loss_function(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(targets.reshape(-1)).to(device))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
    return total / len(chunks) / math.log(2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="passes over the training text (default 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, as in the course's CI)")
    parser.add_argument("--device", default=None, help="torch device (default: dlcourse.torch.best_device())")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else dlcourse.torch.best_device()
    text = load_tiny_shakespeare()
    vocabulary = build_vocabulary(text)
    ids = encode(text, vocabulary)
    train_ids, valid_ids = ids[:1_000_000], ids[1_000_000:1_020_000]
    chunks = truncated_bptt_batches(train_ids, batch_size=32, seq_len=64)

    dlcourse.manual_seed(0)
    model = dlcourse.torch.models.CharLSTM(len(vocabulary), embedding_dim=32, hidden_size=128).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    where = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads" \
        if device.type == "cpu" else torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    print(f"device {device} ({where}); {len(chunks)} steps per pass; uniform guess "
          f"{math.log2(len(vocabulary)):.3f} bits per character")
    rows, seconds, cpu_seconds = [], 0.0, 0.0
    for number in range(1, args.passes + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        train_bits = train_one_pass(model, optimizer, chunks, device)
        seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start
        model.eval()
        valid_bits = bits_per_character(model, valid_ids, batch_size=16, seq_len=100, device=device)
        rows.append({"pass": number, "train_bits": round(train_bits, 4), "valid_bits": round(valid_bits, 4),
                     "train_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu_seconds, 1)})
        print(f"pass {number}: training {train_bits:.3f}, validation {valid_bits:.3f} bits per character; "
              f"{seconds:.0f} s of training so far ({cpu_seconds:.0f} s of CPU time)", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"device": str(device), "where": where, "steps_per_pass": len(chunks), "passes": rows}, file,
                      indent=1)
            file.write("\n")


if __name__ == "__main__":
    main()
