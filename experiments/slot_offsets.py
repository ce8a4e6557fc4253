"""What a wrong answer slot holds instead: for every wrong slot k, whether the predicted token equals the right
answer at slot k + d, for offsets d = ±1..±max_offset. On copy the answer at slot k + d is input bit k + d, so a
share near 1 at d = +1 says the model's pointer read one position ahead; with random bits a wrong token matches
the answer at an unrelated slot half the time.

    python experiments/slot_offsets.py --checkpoint results/copy/experiments/capped-9000/model --lengths 20,25,30 \
        --out results/copy/experiments/slot_offsets.json
"""

from __future__ import annotations

import json

from probe import load_probed, predicted_batches, probe_parser

from looped import LoopedTransformer


def offset_matches(
    model: LoopedTransformer, length: int, samples: int, stopping: str, seed: int, max_offset: int
) -> dict:
    """Counts of wrong slots, and per offset the share of them whose prediction equals the answer d slots on."""
    offsets = [d for d in range(-max_offset, max_offset + 1) if d != 0]
    matched = dict.fromkeys(offsets, 0)
    compared = dict.fromkeys(offsets, 0)
    wrong_rows = wrong_slots = 0
    answer_length = model.task.answer_length(length)
    for batch, tokens in predicted_batches(model, length, samples, stopping, seed):
        start = int(batch.answer_start[0])  # one length per batch: every row starts its answer at one position
        answer = slice(start, start + answer_length)  # the answer tokens, without the end token
        predicted = tokens[:, answer]
        targets = batch.targets[:, answer]
        wrong = predicted != targets
        wrong_rows += int(wrong.any(dim=1).sum())
        wrong_slots += int(wrong.sum())
        for d in offsets:
            # slot k against the answer at k + d, for the k where k + d is still an answer slot
            here = slice(max(0, -d), answer_length - max(0, d))
            there = slice(max(0, d), answer_length - max(0, -d))
            mask = wrong[:, here]
            matched[d] += int(((predicted[:, here] == targets[:, there]) & mask).sum())
            compared[d] += int(mask.sum())
    return {
        "wrong_rows": wrong_rows,
        "wrong_slots": wrong_slots,
        "share_matching_answer_at_offset": {d: matched[d] / compared[d] if compared[d] else None for d in offsets},
        "wrong_slots_compared": compared,
    }


def main() -> None:
    parser = probe_parser(__doc__, lengths="25,30", samples=1000, seed=777)
    parser.add_argument("--stopping", default="oracle")
    parser.add_argument("--max_offset", type=int, default=3)
    args = parser.parse_args()
    model = load_probed(args)
    result: dict = {
        "checkpoint": args.checkpoint,
        "stopping": args.stopping,
        "samples": args.samples,
        "seed": args.seed,
        "by_length": {},
    }
    for n in map(int, args.lengths.split(",")):
        counts = offset_matches(model, n, args.samples, args.stopping, args.seed, args.max_offset)
        result["by_length"][n] = counts
        shares = " ".join(
            f"{d:+d}: " + ("n/a" if share is None else f"{share:.3f}")
            for d, share in counts["share_matching_answer_at_offset"].items()
        )
        print(f"n = {n}: {counts['wrong_rows']} wrong rows, {counts['wrong_slots']} wrong slots; {shares}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
