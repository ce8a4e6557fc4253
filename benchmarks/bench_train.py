"""Training throughput: per-size batches (ours) against the reference's mixed-size batches run to the largest
horizon, at the reference parity model (d_model 256, 1 layer, 64 heads, batch 64, sizes 1..20), in one run.

    python benchmarks/bench_train.py [--steps 30] [--device cpu] [--threads 2] [--compile --warmup 10]

Loop-tokens are positions processed per iteration, summed over iterations: what the compute scales with.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from looped.devices import resolve_device
from looped.model import LoopedModel, ModelConfig, compile_blocks
from looped.tasks import get_task
from looped.training.loss import Supervision, looped_loss, supervision_steps


def measure(batching: str, args: argparse.Namespace, device: torch.device) -> tuple[float, float]:
    """(samples/s, loop-tokens/s) over `args.steps` optimiser steps after `args.warmup` untimed ones (with
    `--compile`, enough for the block to be recompiled for dynamic lengths)."""
    task = get_task("parity")
    torch.manual_seed(0)
    model = LoopedModel(ModelConfig(d_model=256, n_heads=64, n_layers=1), task.vocab_size).to(device)
    if args.compile:
        compile_blocks(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    horizon = task.steps(args.max_length) + 2 if batching == "mixed" else None
    samples = loop_tokens = 0
    for step in range(args.steps + args.warmup):
        if step == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start, samples, loop_tokens = time.perf_counter(), 0, 0
        if batching == "mixed":
            batch = task.sample_mixed(rng.integers(1, args.max_length + 1, size=args.batch_size), rng)
        else:
            batch = task.sample(int(rng.integers(1, args.max_length + 1)), args.batch_size, rng)
        batch = batch.to(device)
        supervision = Supervision(supervision_steps(batch, 0))
        with autocast:
            loss = looped_loss(model, batch, supervision, horizon)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        iterations = max(horizon or 0, int(batch.steps.max()))
        samples += len(batch)
        loop_tokens += batch.inputs.numel() * iterations
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    return samples / elapsed, loop_tokens / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=20)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--compile", action="store_true", help="torch.compile the block, as `looped train --compile`")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device {device}, {torch.get_num_threads()} threads, {args.steps} steps per mode, compiled: {args.compile}")
    results = {mode: measure(mode, args, device) for mode in ("per-size", "mixed")}
    for mode, (samples, tokens) in results.items():
        print(f"{mode:>9}: {samples:10.1f} samples/s  {tokens:14.0f} loop-tokens/s")
    ratio = results["per-size"][0] / results["mixed"][0]
    print(f"per-size / mixed samples/s ratio: {ratio:.2f}x")


if __name__ == "__main__":
    main()
