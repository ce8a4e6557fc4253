"""Oracle stopping: read each example after exactly its own T(n) iterations."""

from __future__ import annotations

import torch

from looped.model import LoopedModel
from looped.stopping.base import Prediction, StoppingRule
from looped.tasks import Batch


class Oracle(StoppingRule):
    name = "oracle"

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        tokens = torch.zeros_like(batch.inputs)
        for step, logits in enumerate(model.iterate(batch.inputs, int(batch.steps.max())), start=1):
            done = batch.steps == step
            tokens[done] = logits[done].argmax(dim=-1)
        return Prediction(tokens=tokens, steps=batch.steps.clone())
