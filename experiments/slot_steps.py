"""When each answer slot becomes right: the accuracy of every answer slot after every loop step, at one or more
lengths. A model that computes its answer slot by slot (a pointer moving one position per step) shows a
diagonal; one whose answer appears everywhere at once shows a vertical edge; one whose answer keeps changing
after T(n) shows no slot that settles. For copy the diagonal is what makes the answer a fixed point, and so
what lets per-example maximum confidence match the oracle.

    python experiments/slot_steps.py --checkpoint results/copy/experiments/capped-9000/model --lengths 20,30 \
        --out results/copy/experiments/slot_steps.json

Prints, per length, the step from which each slot stays at or above `--settled` accuracy up to T(n) + `--past`
(-1: never), and writes the JSON and one heatmap per length beside it.
"""

from __future__ import annotations

import json

import matplotlib
import torch
from probe import load_probed, probe_parser

from looped import LoopedTransformer
from looped.evaluation import fresh_batches

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@torch.no_grad()
def slot_accuracy_by_step(model: LoopedTransformer, length: int, samples: int, steps: int, seed: int) -> torch.Tensor:
    """(steps, slots) accuracy of each answer slot (counted from the answer start) after each loop step."""
    right: torch.Tensor | None = None
    for batch in fresh_batches(model.task, length, samples, 250, seed, model.device):
        start = int(batch.answer_start[0])  # one length per batch: every row starts its answer at one position
        per_step = [
            (logits.argmax(-1) == batch.targets)[:, start:].sum(dim=0)
            for logits in model.model.iterate(batch.inputs, steps)
        ]
        counts = torch.stack(per_step)
        right = counts if right is None else right + counts
    assert right is not None
    return right.float() / samples


def settling_steps(accuracy: torch.Tensor, threshold: float) -> list[int]:
    """Per slot, the first step from which accuracy stays >= threshold to the last step (-1 if it never does)."""
    held_to_the_end = (accuracy >= threshold).flip(0).cumprod(0).sum(0)  # steps at the end all >= threshold
    return [len(accuracy) - held + 1 if held else -1 for held in held_to_the_end.tolist()]


def main() -> None:
    parser = probe_parser(__doc__, lengths="20,30", samples=500, seed=12345)
    parser.add_argument("--past", type=int, default=10, help="loop steps past T(n) to run")
    parser.add_argument("--settled", type=float, default=0.9)
    args = parser.parse_args()
    model = load_probed(args)
    result: dict = {"checkpoint": args.checkpoint, "samples": args.samples, "settled_threshold": args.settled}
    result["lengths"] = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for n in map(int, args.lengths.split(",")):
        oracle = model.task.steps(n)
        accuracy = slot_accuracy_by_step(model, n, args.samples, oracle + args.past, args.seed)
        settled = settling_steps(accuracy, args.settled)
        result["lengths"][n] = {"oracle_step": oracle, "settled_at": settled, "accuracy": accuracy.tolist()}
        print(f"n = {n} (T(n) = {oracle}), step each slot settles at: {settled}")
        figure, axes = plt.subplots(figsize=(7, 4.5))
        image = axes.imshow(accuracy.numpy(), aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis",
                            extent=(-0.5, accuracy.shape[1] - 0.5, 0.5, accuracy.shape[0] + 0.5))
        axes.axhline(oracle, color="white", linestyle="--", linewidth=1, label="T(n)")
        axes.set(xlabel="answer slot (last: end token)", ylabel="loop step",
                 title=f"{model.config.task}, n = {n}: accuracy per slot and step")
        axes.legend(loc="upper left")
        figure.colorbar(image, ax=axes, label="accuracy")
        figure.tight_layout()
        figure.savefig(args.out.with_name(f"{args.out.stem}_{n}.png"), dpi=120)
        plt.close(figure)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out} and its plots")


if __name__ == "__main__":
    main()
