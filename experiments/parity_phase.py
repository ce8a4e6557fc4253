"""What a looped parity model computes: the state at the answer slot turns in a plane by an angle that grows
with the share of ones, so after T(n) = n steps it has turned by pi times the number of ones and its
direction gives the parity. This script measures that angle per step against c/n (c ones among n bits).

A turning phase has no fixed point: past T(n) the answer keeps changing, confidently, which is why
maximum-confidence stopping fails per example (see results/parity/experiments/README.md).

    python experiments/parity_phase.py --checkpoint results/parity/model --lengths 20,40 \
        --out results/parity/experiments/phase.json
"""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import torch
from probe import load_probed, probe_parser

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def inputs_with_ones(n: int, samples: int, rng: np.random.Generator, task) -> tuple[torch.Tensor, np.ndarray]:
    """Prompts of n bits whose number of ones c is spread evenly over 0..n, in the full-answer layout."""
    ones = np.arange(samples) % (n + 1)
    bits = np.zeros((samples, n), dtype=np.int64)
    for row, count in zip(bits, ones, strict=True):
        row[rng.choice(n, size=count, replace=False)] = 1
    [(_, batch)] = task.encode(["".join(map(str, row)) for row in bits])  # one size, so one group in order
    return batch.inputs, ones


@torch.no_grad()
def turn_per_step(model, inputs: torch.Tensor, slot: int, steps: int) -> np.ndarray:
    """(B,) mean angle, in units of pi, by which the answer slot's state turns per step in its top-2 plane.

    The turn is not uniform from step to step (the state moves along a closed loop), so it is read from the
    dominant frequency of the state's trajectory over `steps` steps rather than from single steps.
    """
    states = torch.stack([state[:, slot] for state in model.states(inputs, steps)], dim=1).double().numpy()
    flat = states.reshape(-1, states.shape[-1])
    _, _, components = np.linalg.svd(flat - flat.mean(0), full_matrices=False)
    plane = (states - flat.mean(0)) @ components[:2].T
    phase = plane[..., 0] + 1j * plane[..., 1]
    phase = phase - phase.mean(axis=1, keepdims=True)
    padded = 8 * steps  # zero-padding interpolates the spectrum between its bins
    spectrum = np.abs(np.fft.fft(phase, n=padded, axis=1))
    frequencies = np.fft.fftfreq(padded)  # cycles per step
    return 2 * np.abs(frequencies[spectrum.argmax(axis=1)])


def main() -> None:
    spread = "prompts per length, spread over 0..n ones"
    parser = probe_parser(__doc__, "20,40", samples=410, seed=0, samples_help=spread)
    args = parser.parse_args()
    loaded = load_probed(args)
    model, task = loaded.model.eval(), loaded.task
    rng = np.random.default_rng(args.seed)
    result: dict = {"checkpoint": args.checkpoint, "samples": args.samples, "by_length": {}}
    figure, axis = plt.subplots(figsize=(5, 4))
    for n in map(int, args.lengths.split(",")):
        inputs, ones = inputs_with_ones(n, args.samples, rng, task)
        turn = turn_per_step(model, inputs, slot=n, steps=8 * int(task.steps(n)))
        by_count = {int(c): float(turn[ones == c].mean()) for c in np.unique(ones)}
        shares = [c / n for c in by_count]
        result["by_length"][n] = {"share_of_ones": shares, "turn_per_step_over_pi": list(by_count.values())}
        axis.plot(shares, list(by_count.values()), marker="o", markersize=3, label=f"n = {n}")
        print(n, {c: round(v, 3) for c, v in by_count.items()})
    axis.plot([0, 1], [0, 1], color="black", linestyle=":", label="turn = pi c/n")
    axis.set(xlabel="share of ones c/n", ylabel="turn of the answer slot per step / pi", title="parity: phase per step")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(args.out.with_suffix(".png"), dpi=120)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
