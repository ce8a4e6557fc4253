"""Unique set accuracy split by whether a row repeats a value. Uniform rows over 50 values seldom do at short
lengths (0.06 of the rows at n = 3, 0.45 at n = 8), so exact match at those lengths says little about the
one thing unique set adds to copy: skipping a value already written.

    python experiments/by_repeats.py --checkpoint runs/uset-base-s0/last --lengths 3,5,8 \
        --out results/unique_set/experiments/by_repeats.json
"""

from __future__ import annotations

import json

import torch
from probe import load_probed, predicted_batches, probe_parser

from looped.evaluation import exact_match


def main() -> None:
    parser = probe_parser(__doc__, lengths="3,5,8", samples=1000, seed=12345)
    parser.add_argument("--stopping", default="oracle")
    args = parser.parse_args()
    model = load_probed(args)
    if model.config.task != "unique_set":
        raise SystemExit(f"by_repeats.py: {args.checkpoint} is a {model.config.task} model; it needs a unique_set one")
    result: dict = {"checkpoint": args.checkpoint, "stopping": args.stopping, "samples": args.samples, "lengths": {}}
    for n in map(int, args.lengths.split(",")):
        counts = {"repeat": [0, 0], "no_repeat": [0, 0]}  # [right, rows]
        for batch, tokens in predicted_batches(model, n, args.samples, args.stopping, args.seed):
            right = exact_match(tokens, batch)
            repeats = torch.tensor([len(set(row.tolist())) < n for row in batch.inputs[:, :n]])
            for name, rows in (("repeat", repeats), ("no_repeat", ~repeats)):
                counts[name][0] += int((right & rows).sum())
                counts[name][1] += int(rows.sum())
        result["lengths"][n] = {
            name: {"rows": rows, "accuracy": right / rows if rows else None} for name, (right, rows) in counts.items()
        }
        print(n, {name: f"{right}/{rows}" for name, (right, rows) in counts.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
