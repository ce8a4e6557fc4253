"""Does a model find its input by where the row starts? Oracle accuracy on fresh examples with k pad tokens put
in front of every prompt (the rows `train.left_fillers` trains on), for each k. A model whose pointer counts
from the row start fails at every k > 0; one that counts from the first input token does not care.

    python experiments/filler_shift.py --checkpoint results/copy/experiments/capped-9000/model \
        --lengths 10,20,25 --fillers 0,1,5,20 \
        --out results/copy/experiments/filler_shift.json
"""

from __future__ import annotations

import json

import torch
from probe import load_probed, probe_parser

from looped.evaluation import exact_match, fresh_batches
from looped.tasks.base import prepend_fillers


def main() -> None:
    parser = probe_parser(__doc__, lengths="10,20,25", samples=500, seed=12345)
    parser.add_argument("--fillers", default="0,1,5,20", help="comma-separated pad counts put before the prompt")
    args = parser.parse_args()
    model = load_probed(args)
    counts = [int(k) for k in args.fillers.split(",")]
    result: dict = {"checkpoint": args.checkpoint, "stopping": "oracle", "samples": args.samples, "accuracy": {}}
    for n in map(int, args.lengths.split(",")):
        right = dict.fromkeys(counts, 0)
        for batch in fresh_batches(model.task, n, args.samples, 250, args.seed, model.device):
            for k in counts:
                shifted = prepend_fillers(batch, k, model.task.pad)
                with torch.no_grad():
                    logits = model.model(shifted.inputs, int(shifted.steps.max()))
                right[k] += int(exact_match(logits.argmax(dim=-1), shifted).sum())
        result["accuracy"][n] = {k: right[k] / args.samples for k in counts}
        print(f"n = {n}: " + "  ".join(f"{k} fillers {right[k] / args.samples:.3f}" for k in counts))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
