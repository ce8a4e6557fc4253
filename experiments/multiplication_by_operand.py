"""Multiplication accuracy for each 2-bit first operand a = 0, 1, 2, 3, at fixed lengths of b. Random test
examples mix four problems: a = 0 writes zeros, 1 and 2 copy b (2 shifted by one slot), and only 3 needs an
addition with carries (b + 2b), so exact match over all of them can hide which one fails. Of the wrong
answers it also counts how many slots longer or shorter than the product they are (an end token written too
early or too late).

    python experiments/multiplication_by_operand.py --checkpoint results/multiplication/model --lengths 8,11,16 \
        --out results/multiplication/by_operand.json
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
from probe import load_probed, probe_parser


def product_lsb_first(a: int, b: str) -> str:
    """a·b written as 2 + len(b) bits, least significant first: the answer the task expects."""
    return format(a * int(b, 2), f"0{2 + len(b)}b")[::-1]


def main() -> None:
    parser = probe_parser(__doc__, "8,11,16", samples=250, seed=0, samples_help="prompts per (length, operand)")
    parser.add_argument("--stopping", default="oracle,confidence-per-example", help="comma-separated rules")
    args = parser.parse_args()
    model = load_probed(args)
    rng = np.random.default_rng(args.seed)
    rules = args.stopping.split(",")
    result: dict = {"checkpoint": args.checkpoint, "samples": args.samples}
    result |= {"by_rule": {r: {} for r in rules}, "wrong_length_offsets": {r: {} for r in rules}}
    for n in map(int, args.lengths.split(",")):
        for a in range(4):
            operands = ["".join(map(str, bits)) for bits in rng.integers(0, 2, size=(args.samples, n))]
            prompts = [f"{a:02b}*{b}" for b in operands]
            expected = [product_lsb_first(a, b) for b in operands]
            for rule in rules:
                answers = [s.answer for s in model.solve(prompts, stopping=rule)]
                pairs = list(zip(answers, expected, strict=True))
                offsets = Counter(len(got) - len(want) for got, want in pairs if got != want)
                result["by_rule"][rule].setdefault(str(n), {})[str(a)] = float(np.mean([g == w for g, w in pairs]))
                result["wrong_length_offsets"][rule].setdefault(str(n), {})[str(a)] = dict(sorted(offsets.items()))
        print(n, {rule: result["by_rule"][rule][str(n)] for rule in rules})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
