"""A new task in a few dozen lines: reverse n bits (`1101` -> `1011`), with T(n) = n loop iterations.

Subclass `looped.Task`, register it, and the trainer, the evaluation and the API work unchanged:

    python examples/custom_task.py --steps 1500 --out runs/reverse

trains briefly on lengths up to 8, then reports accuracy against length and answers a few prompts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from looped.api import LoopedTransformer
from looped.config import RunConfig
from looped.tasks import Task, register_task


class Reverse(Task):
    name = "reverse"
    symbols = ("0", "1", "=", "_")  # token id -> symbol; "=" starts the answer, "_" pads and ends it

    def steps(self, n: int) -> int:
        return n

    def answer_length(self, n: int) -> int:
        return n

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bits = rng.integers(0, 2, size=(batch_size, n), dtype=np.int64)
        return bits, bits[:, ::-1].copy()

    def parse(self, prompt: str) -> np.ndarray:
        return self.tokenize(prompt, alphabet=("0", "1"))

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids)

    def solve(self, prompt: str) -> str:
        self.parse(prompt)  # raises PromptError on a malformed prompt
        return prompt.strip()[::-1]


register_task("reverse", Reverse)


def make_config(steps: int, d_model: int = 64, max_length: int = 8, seed: int = 0) -> RunConfig:
    """A small CPU recipe: adaptive curriculum up to `max_length` (length generalization takes longer runs)."""
    return RunConfig.from_dict(
        {
            "task": "reverse",
            "seed": seed,
            "model": {"d_model": d_model, "n_heads": 4 if d_model % 4 == 0 else 1},
            "curriculum": {"kind": "adaptive", "max_length": max_length, "check_every": 25},
            "train": {
                "max_steps": steps,
                "batch_size": 32,
                "lr": 1e-3,
                "warmup_steps": min(100, steps // 10),
                "decay_steps": max(1, min(500, steps // 4)),
                "extra_supervised_steps": 2,
                "eval_every": max(1, min(250, steps)),
                "eval_samples": 128,
                "val_lengths": [max_length],  # the best model is chosen on the longest trained length
                "log_every": max(1, min(25, steps)),
            },
        }
    )


def train(out: Path, config: RunConfig, progress: bool = True) -> dict:
    """Train into the run directory `out` (which must not exist yet); returns the run summary."""
    from looped.training.trainer import Trainer

    return Trainer(config, out, show_progress=progress).run()


def demo(out: Path, lengths: list[int], prompts: list[str], samples: int = 200) -> tuple[dict, list]:
    """Load the best model of the run, measure accuracy against length, and answer typed prompts."""
    model = LoopedTransformer.from_pretrained(out)
    result = model.evaluate(lengths, stopping=["oracle", "confidence-per-example"], samples=samples)
    return result, model.solve(prompts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1500, help="training steps")
    parser.add_argument("--out", type=Path, default=Path("runs/reverse"), help="run directory (must not exist)")
    parser.add_argument("--d_model", type=int, default=64)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} already exists; choose another --out")

    config = make_config(args.steps, d_model=args.d_model)
    summary = train(args.out, config)
    print(f"trained {summary['steps']} steps; curriculum reached n = {summary['curriculum_max']}")
    result, solutions = demo(args.out, lengths=[4, 8, 12, 16], prompts=["1101", "100", "0110100111"])
    for name, rule in result["rules"].items():
        cells = ", ".join(f"n={n}: {a:.2f}" for n, a in zip(result["lengths"], rule["accuracy"], strict=True))
        print(f"{name:>24}  {cells}")
    for solution in solutions:
        expected = Reverse().solve(solution.prompt)
        print(f"{solution.prompt} -> {solution.answer} ({solution.steps} steps; expected {expected})")


if __name__ == "__main__":
    main()
