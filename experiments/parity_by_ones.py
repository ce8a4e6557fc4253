"""Parity accuracy against the number of ones, at fixed lengths: random bit strings concentrate around n/2
ones, so accuracy on them can hide failures on sparse or dense inputs.

    python experiments/parity_by_ones.py --checkpoint results/parity/model --lengths 20,30,40 \
        --out results/parity/by_ones.json
"""

from __future__ import annotations

import json

import numpy as np
from probe import load_probed, probe_parser


def prompts_with_ones(n: int, ones: int, count: int, rng: np.random.Generator) -> list[str]:
    rows = np.zeros((count, n), dtype=np.int64)
    for row in rows:
        row[rng.choice(n, size=ones, replace=False)] = 1
    return ["".join(map(str, row)) for row in rows]


def main() -> None:
    parser = probe_parser(__doc__, "20,30,40", samples=200, seed=0, samples_help="prompts per (length, number of ones)")
    parser.add_argument("--stopping", default="oracle")
    args = parser.parse_args()
    model = load_probed(args)
    rng = np.random.default_rng(args.seed)
    result: dict = {"checkpoint": args.checkpoint, "stopping": args.stopping, "samples": args.samples, "by_length": {}}
    for n in map(int, args.lengths.split(",")):
        counts = sorted({round(n * f) for f in np.linspace(0, 1, 9)})
        accuracy = {}
        for ones in counts:
            prompts = prompts_with_ones(n, ones, args.samples, rng)
            answers = [s.answer for s in model.solve(prompts, stopping=args.stopping)]
            accuracy[ones] = float(np.mean([a == str(ones % 2) for a in answers]))
        result["by_length"][n] = accuracy
        print(n, {k: round(v, 3) for k, v in accuracy.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
