"""Maximum-confidence stopping: run past T(n) and read out at the step whose answer is most confident (with
its witness, for a model that has a witness head).

The reference picks one step for a whole batch of same-size inputs; choosing per example lets each input
settle on its own step.
"""

from __future__ import annotations

import torch

from looped.model import LoopedModel
from looped.stopping.base import LooksPastOracle, Prediction, step_confidence
from looped.tasks import Batch


class MaxConfidence(LooksPastOracle):
    """One step for the whole batch: the one with the lowest mean confidence loss (the reference)."""

    name = "confidence"
    per_example = False

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        best_score = torch.full(batch.steps.shape, float("inf"), device=batch.inputs.device)
        tokens = torch.zeros_like(batch.inputs)
        steps = torch.zeros_like(batch.steps)
        for step, state in enumerate(model.states(batch.inputs, self.horizon(batch)), start=1):
            logits, score = step_confidence(model, state, batch)
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
