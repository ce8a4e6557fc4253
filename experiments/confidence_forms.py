"""Per-example confidence accuracy of a model under the confidence loss as computed now and in its textbook form,
-max log_softmax, which rounds nearly certain steps to 0 (looped/stopping/base.py, answer_confidence).

    python experiments/confidence_forms.py CHECKPOINT LENGTH
"""

import sys

import torch

import looped.stopping.base as base
from looped.api import LoopedTransformer


def textbook_confidence(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    neg_log_max = -torch.log_softmax(logits.float(), dim=-1).max(dim=-1).values
    return (neg_log_max * mask).sum(dim=1)


def per_example_accuracy(model: LoopedTransformer, length: int) -> float:
    result = model.evaluate(lengths=[length], stopping=["confidence-per-example"], samples=1000, seed=4242)
    return result["rules"]["confidence-per-example"]["accuracy"][0]


def main() -> None:
    checkpoint, length = sys.argv[1], int(sys.argv[2])
    model = LoopedTransformer.from_pretrained(checkpoint)
    current = per_example_accuracy(model, length)
    now = base.answer_confidence
    base.answer_confidence = textbook_confidence  # step_confidence looks it up at call time
    try:
        textbook = per_example_accuracy(model, length)
    finally:
        base.answer_confidence = now
    print(f"{checkpoint} n = {length}: current {current}, textbook {textbook}")


if __name__ == "__main__":
    main()
