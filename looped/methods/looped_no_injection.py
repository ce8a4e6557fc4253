"""The paper's ablation: the looped model without input injection, whatever the config says."""

from __future__ import annotations

from dataclasses import replace

from looped.config import RunConfig
from looped.methods.looped import Looped
from looped.model import ModelConfig


class LoopedNoInjection(Looped):
    name = "looped-no-injection"

    def model_config(self, config: RunConfig) -> ModelConfig:
        return replace(config.model, input_injection=False)
