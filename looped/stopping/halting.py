"""Learned stopping: read each example out at the step where its halting head is most sure it should stop.

Answer confidence cannot tell T(n) apart on a model whose answer keeps changing with full confidence after
T(n) (parity's phase, results/parity/experiments/README.md); a halting head is trained for exactly that
question, so the same argmax over steps asks it instead.
"""

from __future__ import annotations

import torch

from looped.model import NO_HALTING_HEAD, LoopedModel
from looped.stopping.confidence import MaxConfidence


class Halting(MaxConfidence):
    name = "halting"
    per_example = True

    def check(self, model: LoopedModel) -> None:
        if model.halt is None:
            raise ValueError(NO_HALTING_HEAD)

    def score(self, model: LoopedModel, state: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return -model.halting(state, mask)
