"""The method interface: how a model is built, trained and read out, so that the looped model and its
baselines share one trainer, one evaluation and one checkpoint format.

Looped methods let a stopping rule choose the loop count; the baselines spend a fixed amount of compute per
token and ignore the rule (they are evaluated under the single label `fixed-depth`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from torch import nn

from looped.model import KVCache, LoopedModel
from looped.stopping import Prediction, StoppingRule, get_stopping
from looped.tasks import Batch, Task
from looped.training.loss import Supervision

if TYPE_CHECKING:
    from looped.config import RunConfig


class Method(ABC):
    """A model family with its training loss and its inference. Instances are stateless: everything a model
    needs at inference is on the model that `build` returns."""

    name: str
    uses_stopping: bool = False  # True when a stopping rule chooses the loop count at inference

    @abstractmethod
    def build(self, config: RunConfig, task: Task) -> nn.Module:
        """A freshly initialised model for the run config (the same call rebuilds it from a checkpoint)."""

    @abstractmethod
    def loss(
        self, model: nn.Module, batch: Batch, supervision: Supervision, horizon: int | None = None
    ) -> torch.Tensor:
        """Mean cross-entropy over the supervised tokens (`supervision`, `horizon`: looped models only)."""

    @abstractmethod
    def predict(self, model: nn.Module, batch: Batch, rule: StoppingRule) -> Prediction:
        """Predicted tokens in the full-answer layout, aligned with `batch.targets`, and the steps used."""

    def rules(self, specs: Sequence[str], extra_steps: int) -> list[StoppingRule]:
        """The rules to evaluate with: the named ones, or just the `fixed-depth` label when rules are ignored."""
        if self.uses_stopping:
            return [get_stopping(spec, extra_steps) for spec in specs]
        return [FixedDepth()]


class FixedDepth(StoppingRule):
    """The label under which fixed-compute methods are evaluated; those methods never consult a rule."""

    name = "fixed-depth"

    def predict(self, model: LoopedModel, batch: Batch) -> Prediction:
        raise TypeError("'fixed-depth' only labels methods with a fixed depth; they predict without a rule")


class FixedLoopModel(nn.Module):
    """A LoopedModel run for a fixed number of loops (1: a plain decoder), with its task's row layout and
    `pause_tokens` pause tokens (id task.vocab_size) for the pause baselines."""

    def __init__(self, core: LoopedModel, task: Task, loops: int, pause_tokens: int = 0) -> None:
        super().__init__()
        self.core = core
        self.task = task
        self.loops = loops
        self.pause_tokens = pause_tokens
        self.pause_id = task.vocab_size

    @property
    def depth(self) -> int:
        """Layers applied per token (loops x layers): what predictions report as their steps."""
        return self.loops * len(self.core.layers)

    def forward(self, inputs: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        return self.core(inputs, self.loops, cache)


def fixed_depth_model(config: RunConfig, task: Task, pause_tokens: int = 0) -> FixedLoopModel:
    """A plain (non-looped) stack of `baseline_depth` layers, with a pause token id added when pauses are used."""
    core = LoopedModel(replace(config.model, n_layers=config.baseline_depth), task.vocab_size + bool(pause_tokens))
    return FixedLoopModel(core, task, loops=1, pause_tokens=pause_tokens)


def insert_columns(rows: torch.Tensor, at: torch.Tensor, count: int, value: int | bool) -> torch.Tensor:
    """`count` columns of `value` inserted in each row before its column `at` (B,); later columns shift right."""
    width = rows.shape[1] + count
    column = torch.arange(width, device=rows.device).expand(rows.shape[0], width)
    start = at.unsqueeze(1)
    inserted = (column >= start) & (column < start + count)
    source = torch.where(column < start, column, column - count).clamp(0, rows.shape[1] - 1)
    return torch.where(inserted, torch.as_tensor(value, dtype=rows.dtype), rows.gather(1, source))


def remove_columns(rows: torch.Tensor, at: torch.Tensor, count: int) -> torch.Tensor:
    """The inverse of `insert_columns`: drop `count` columns from each row's column `at` on."""
    column = torch.arange(rows.shape[1], device=rows.device)
    start = at.unsqueeze(1)
    keep = (column < start) | (column >= start + count)
    return rows[keep].view(rows.shape[0], rows.shape[1] - count)
