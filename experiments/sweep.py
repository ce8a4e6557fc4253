"""Grid sweep over recipe overrides: trains every combination with `looped train`, several at a time, then
evaluates each best model with `looped eval` and writes one CSV row per run.

    python experiments/sweep.py --task parity --grid model.n_heads=4,16 train.extra_supervised_steps=0,4 \
        --seeds 0,1 --parallel 2 --lengths 40 --out runs/sweep-parity

Each run uses one CPU thread (or the given --device); finished runs are skipped, so a sweep can be restarted.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LOOPED = [sys.executable, "-m", "looped.cli"]


def grid_points(grid: list[str]) -> list[dict[str, str]]:
    """'key=a,b' strings to the list of all combinations {key: value}."""
    axes = []
    for item in grid:
        key, _, values = item.partition("=")
        axes.append([(key, value) for value in values.split(",")])
    return [dict(combination) for combination in itertools.product(*axes)]


def run_name(point: dict[str, str], seed: str) -> str:
    parts = [f"{key.split('.')[-1]}={value}" for key, value in point.items()]
    return "_".join([*parts, f"seed={seed}"]).replace("/", "-").replace("[", "").replace("]", "")


def train_and_evaluate(args: argparse.Namespace, point: dict[str, str], seed: str) -> dict[str, str | float]:
    run_dir = args.out / run_name(point, seed)
    common = ["--device", args.device, "--threads", "1"]
    if not (run_dir / "summary.json").is_file():
        shutil.rmtree(run_dir, ignore_errors=True)
        overrides = [token for key, value in point.items() for token in (f"--{key}", value)]
        command = [*LOOPED, "train", "--task", args.task, "--seed", seed, "--out", str(run_dir), "--progress", "false"]
        if args.config:
            command += ["--config", args.config]
        with (args.out / f"{run_dir.name}.log").open("w") as log:
            subprocess.run([*command, *overrides, *common], check=True, stdout=log, stderr=subprocess.STDOUT)
    evaluation = run_dir / "eval" / "accuracy.json"
    if not evaluation.is_file():
        subprocess.run(
            [*LOOPED, "eval", "--checkpoint", str(run_dir), "--lengths", args.lengths, "--stopping", args.stopping,
             "--samples", str(args.samples), "--out", str(run_dir / "eval"), *common],
            check=True, stdout=subprocess.DEVNULL,
        )
    summary = json.loads((run_dir / "summary.json").read_text())
    result = json.loads(evaluation.read_text())
    row: dict[str, str | float] = {**point, "seed": seed, "seconds": summary["train_seconds"],
                                   "steps": summary["steps"], "curriculum_max": summary["curriculum_max"]}
    for rule, values in result["rules"].items():
        for length, accuracy in zip(result["lengths"], values["accuracy"], strict=True):
            row[f"{rule}@{length}"] = accuracy
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True)
    parser.add_argument("--config", default=None)
    parser.add_argument("--grid", nargs="*", default=[], help="key=v1,v2 ... (dotted recipe fields)")
    parser.add_argument(
        "--point", action="append", default=[], help="one extra run: 'key=value key=value' (repeatable)"
    )
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--lengths", default="40")
    parser.add_argument("--stopping", default="oracle,confidence-per-example")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    points = (grid_points(args.grid) if args.grid else []) + [
        dict(item.split("=", 1) for item in point.split()) for point in args.point
    ]
    jobs = [(point, seed) for point in points or [{}] for seed in args.seeds.split(",")]
    with ThreadPoolExecutor(args.parallel) as pool:
        rows = list(pool.map(lambda job: train_and_evaluate(args, *job), jobs))
    with (args.out / "sweep.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out / 'sweep.csv'}")


if __name__ == "__main__":
    main()
