"""NTP with `pause_tokens` pause tokens (a new token id, task.vocab_size) between '=' and the answer: extra
positions, hence extra computation, before the first answer token. The loss covers only the answer and end."""

from __future__ import annotations

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel, fixed_depth_model
from looped.methods.ntp import NextToken
from looped.tasks import Task


class NextTokenPause(NextToken):
    name = "ntp-pause"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        return fixed_depth_model(config, task, config.pause_tokens)
