"""A fixed loop count for every input, whatever its size: what a fixed-depth model does."""

from __future__ import annotations

import torch

from looped.model import LoopedModel
from looped.stopping.base import Prediction, StoppingRule
from looped.tasks import Batch


class FixedSteps(StoppingRule):
    name = "fixed"

    def __init__(self, steps: int) -> None:
        if steps < 1:
            raise ValueError(f"fixed stopping needs a step count >= 1, got {steps}")
        self.steps = steps

    @classmethod
    def from_argument(cls, argument: int | None, default_extra_steps: int) -> StoppingRule:
        if argument is None:
            raise ValueError("stopping rule 'fixed' needs a step count, e.g. fixed:30")
        return cls(argument)

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        tokens = model(batch.inputs, self.steps).argmax(dim=-1)
        return Prediction(tokens=tokens, steps=torch.full_like(batch.steps, self.steps))
