"""Where in the answer a model goes wrong: the error rate of each answer slot (0 = the first answer token, the
last slot being the end token), on fresh examples of given lengths. Exact match hides whether a length fails
everywhere a little or at a few slots always; for copy at n = 30 it is the last few slots.

    python experiments/errors_by_slot.py --checkpoint results/copy/experiments/capped-9000/model --lengths 20,25,30 \
        --out results/copy/experiments/errors_by_slot.json
"""

from __future__ import annotations

import json

import matplotlib
import torch
from probe import load_probed, predicted_batches, probe_parser

from looped import LoopedTransformer

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def slot_errors(model: LoopedTransformer, length: int, samples: int, stopping: str, seed: int) -> list[float]:
    """Error rate per answer slot, counted from the answer start, over the examples of one length."""
    wrong: torch.Tensor | None = None
    for batch, tokens in predicted_batches(model, length, samples, stopping, seed):
        start = int(batch.answer_start[0])  # one length per batch: every row starts its answer at one position
        errors = ((tokens != batch.targets) & batch.loss_mask)[:, start:].sum(dim=0)
        wrong = errors if wrong is None else wrong + errors
    assert wrong is not None
    return (wrong.float() / samples).tolist()


def main() -> None:
    parser = probe_parser(__doc__, lengths="20,25,30", samples=1000, seed=12345)
    parser.add_argument("--stopping", default="oracle")
    args = parser.parse_args()
    model = load_probed(args)
    result: dict = {"checkpoint": args.checkpoint, "stopping": args.stopping, "samples": args.samples}
    result["error_rate_by_slot"] = {}
    figure, axes = plt.subplots(figsize=(7, 3.5))
    for n in map(int, args.lengths.split(",")):
        rates = slot_errors(model, n, args.samples, args.stopping, args.seed)
        result["error_rate_by_slot"][n] = rates
        axes.plot(range(len(rates)), rates, marker=".", label=f"n = {n}")
        print(n, " ".join(f"{rate:.3f}" for rate in rates))
    axes.set(xlabel="answer slot (last: end token)", ylabel="error rate", title=f"{model.config.task}, {args.stopping}")
    axes.legend()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    figure.tight_layout()
    figure.savefig(args.out.with_suffix(".png"), dpi=120)
    print(f"wrote {args.out} and its plot")


if __name__ == "__main__":
    main()
