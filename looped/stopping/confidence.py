"""Maximum-confidence stopping: run past T(n) and read out at the step whose answer is most confident.

The reference picks one step for a whole batch of same-size inputs; choosing per example lets each input
settle on its own step.
"""

from __future__ import annotations

import torch

from looped.model import LoopedModel
from looped.stopping.base import Prediction, StoppingRule, answer_confidence
from looped.tasks import Batch


class MaxConfidence(StoppingRule):
    """One step for the whole batch: the one with the lowest mean confidence loss (the reference)."""

    name = "confidence"
    per_example = False

    def __init__(self, extra_steps: int = 20) -> None:
        if extra_steps < 0:
            raise ValueError(f"confidence stopping needs extra steps >= 0, got {extra_steps}")
        self.extra_steps = extra_steps

    @classmethod
    def from_argument(cls, argument: int | None, default_extra_steps: int) -> StoppingRule:
        return cls(default_extra_steps if argument is None else argument)

    def score(self, model: LoopedModel, state: torch.Tensor, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B,) how much each example's read-out at this step is to be avoided: the lowest score wins."""
        return answer_confidence(logits, mask)

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        horizon = int(batch.steps.max()) + self.extra_steps
        mask = batch.loss_mask.float()
        best_score = torch.full(batch.steps.shape, float("inf"), device=batch.inputs.device)
        tokens = torch.zeros_like(batch.inputs)
        steps = torch.zeros_like(batch.steps)
        for step, state in enumerate(model.states(batch.inputs, horizon), start=1):
            logits = model.head(state)
            score = self.score(model, state, logits, mask)
            if not self.per_example:
                score = score.mean().expand_as(score)
            better = score < best_score
            best_score = torch.where(better, score, best_score)
            tokens[better] = logits[better].argmax(dim=-1)
            steps[better] = step
        return Prediction(tokens=tokens, steps=steps)


class MaxConfidencePerExample(MaxConfidence):
    """Each example read out at its own most confident step."""

    name = "confidence-per-example"
    per_example = True
