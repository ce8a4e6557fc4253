"""Learned stopping: each example stops at the first step where its halting head says "stop" (logit > 0), or,
if it never does within the horizon, at the step where it came closest.

Answer confidence cannot tell T(n) apart on a model whose answer keeps changing with full confidence after
T(n) (parity's phase, results/parity/experiments/README.md); the halting head is trained for exactly that
question (looped.training.loss.halting_loss).
"""

from __future__ import annotations

import torch

from looped.model import NO_HALTING_HEAD, LoopedModel
from looped.stopping.base import LooksPastOracle, Prediction
from looped.tasks import Batch


class Halting(LooksPastOracle):
    name = "halting"

    def check(self, model: LoopedModel) -> None:
        if model.halt is None:
            raise ValueError(NO_HALTING_HEAD)

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        best = torch.full(batch.steps.shape, float("-inf"), device=batch.inputs.device)
        stopped = torch.zeros_like(batch.steps, dtype=torch.bool)
        tokens = torch.zeros_like(batch.inputs)
        steps = torch.zeros_like(batch.steps)
        for step, state in enumerate(model.states(batch.inputs, self.horizon(batch)), start=1):
            logit = model.halting(state, batch.loss_mask)
            take = ~stopped & (logit > best)  # a logit > 0 stops the example, and is above any it had before
            tokens[take] = model.head(state[take]).argmax(dim=-1)
            steps[take] = step
            best = torch.where(take, logit, best)
            stopped |= logit > 0
            if bool(stopped.all()):
                break
        return Prediction(tokens=tokens, steps=steps)
