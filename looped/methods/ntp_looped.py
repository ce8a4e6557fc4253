"""NTP with a weight-tied block (config.model's layers, input injection per config) looped a fixed
`baseline_loops` times for every token. Decoding keeps a KV cache per (loop iteration, layer): each
iteration attends only to earlier positions of the previous iteration, so the cache is exact."""

from __future__ import annotations

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel
from looped.methods.ntp import NextToken
from looped.model import LoopedModel
from looped.tasks import Task


class NextTokenLooped(NextToken):
    name = "ntp-looped"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        return FixedLoopModel(LoopedModel(config.model, task.vocab_size), task, loops=config.baseline_loops)
