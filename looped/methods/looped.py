"""The looped model (LoopedModel with full-answer prediction): step-dependent supervision, and a stopping
rule that picks the loop count at inference."""

from __future__ import annotations

import torch

from looped.config import RunConfig
from looped.methods.base import Method
from looped.model import LoopedModel, ModelConfig
from looped.stopping import Prediction, StoppingRule
from looped.tasks import Batch, Task
from looped.training.loss import Supervision, looped_loss


class Looped(Method):
    name = "looped"
    uses_stopping = True

    def model_config(self, config: RunConfig) -> ModelConfig:
        return config.model

    def build(self, config: RunConfig, task: Task) -> LoopedModel:
        return LoopedModel(self.model_config(config), task.vocab_size)

    def loss(
        self, model: LoopedModel, batch: Batch, supervision: Supervision, horizon: int | None = None
    ) -> torch.Tensor:
        return looped_loss(model, batch, supervision, horizon)

    def predict(self, model: LoopedModel, batch: Batch, rule: StoppingRule) -> Prediction:
        return rule.predict(model, batch)
