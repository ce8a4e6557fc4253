"""NTP with `pause_tokens` pause tokens (a new token id, task.vocab_size) between '=' and the answer: extra
positions, hence extra computation, before the first answer token. The loss covers only the answer and end."""

from __future__ import annotations

from dataclasses import replace

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel
from looped.methods.ntp import NextToken
from looped.model import LoopedModel
from looped.tasks import Task


class NextTokenPause(NextToken):
    name = "ntp-pause"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        core = LoopedModel(replace(config.model, n_layers=config.baseline_depth), task.vocab_size + 1)
        return FixedLoopModel(core, task, loops=1, pause_tokens=config.pause_tokens)
