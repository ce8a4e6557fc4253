"""Which step per-example maximum confidence reads out, against T(n), grouped by the number of ones: where the
rule goes wrong, this shows whether the most confident step is late, early or anywhere, and for which inputs.

    python experiments/chosen_steps.py --checkpoint runs/witness/np1-seed0 --lengths 20,40 \
        --out results/parity/experiments/witness/chosen_steps_seed0.json
"""

from __future__ import annotations

import json

import numpy as np
import torch
from probe import load_probed, probe_parser

from looped import LoopedTransformer
from looped.stopping import step_confidence


@torch.no_grad()
def chosen_steps(model: LoopedTransformer, n: int, samples: int, extra_steps: int, seed: int) -> dict:
    batch = model.task.sample(n, samples, np.random.default_rng([seed, n]))
    oracle = int(batch.steps[0])
    states = model.model.states(batch.inputs, oracle + extra_steps)
    scores = torch.stack([step_confidence(model.model, state, batch)[1] for state in states], dim=1)
    chosen = scores.argmin(dim=1) + 1
    ones = (batch.inputs[:, :n] == model.task.symbols.index("1")).sum(dim=1)
    groups = {}
    for low, high in ((0, n // 2 - 4), (n // 2 - 3, n // 2 + 3), (n // 2 + 4, n)):
        rows = (ones >= low) & (ones <= high)
        counts = np.bincount(chosen[rows].numpy(), minlength=oracle + extra_steps + 1)[1:]
        groups[f"{low}-{high}"] = {
            "examples": int(rows.sum()),
            "share_at_oracle": float((chosen[rows] == oracle).float().mean()) if rows.any() else None,
            "most_chosen_steps": (np.argsort(counts, kind="stable")[::-1][:5] + 1).tolist(),
        }
    return {
        "oracle_steps": oracle,
        "share_at_oracle": float((chosen == oracle).float().mean()),
        "mean_confidence_loss_at_oracle": float(scores[:, oracle - 1].mean()),
        "mean_lowest_confidence_loss": float(scores.min(dim=1).values.mean()),
        "chosen_step_counts": np.bincount(chosen.numpy(), minlength=oracle + extra_steps + 1)[1:].tolist(),
        "by_ones": groups,
    }


def main() -> None:
    parser = probe_parser(__doc__, lengths="20,40", samples=500, seed=321)
    parser.add_argument("--extra-steps", type=int, default=20, help="steps past T(n) the rule may look at")
    args = parser.parse_args()
    model = load_probed(args)
    result = {"checkpoint": args.checkpoint, "samples": args.samples, "extra_steps": args.extra_steps, "by_length": {}}
    for n in map(int, args.lengths.split(",")):
        result["by_length"][str(n)] = chosen_steps(model, n, args.samples, args.extra_steps, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({n: r["share_at_oracle"] for n, r in result["by_length"].items()}))


if __name__ == "__main__":
    main()
