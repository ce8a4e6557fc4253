"""Data generation throughput: examples per second of `task.sample` for every registered task.

Generation runs inside the training loop, so it must stay far cheaper than a training step.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from looped.tasks import get_task, task_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=20, help="input size n")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=0.5, help="time spent per task")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for name in task_names():
        task = get_task(name)
        batches = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < args.seconds:
            task.sample(args.length, args.batch_size, rng)
            batches += 1
        print(f"{name:<16}{batches * args.batch_size / elapsed:>14,.0f} examples/s")


if __name__ == "__main__":
    main()
