"""Full-answer prediction at a fixed depth: a plain stack of `baseline_depth` layers that reads out the whole
answer at once, with `pause_tokens` pause tokens (id task.vocab_size) inserted before '=' for extra width.

The pauses shift '=' and the answer region right by `pause_tokens` inside the method; predictions are mapped
back to the caller's layout by dropping those columns.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel, Method, insert_columns, remove_columns
from looped.model import LoopedModel
from looped.stopping import Prediction, StoppingRule
from looped.tasks import IGNORE, Batch, Task
from looped.training.loss import looped_loss


class FullAnswerPause(Method):
    name = "fap-pause"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        core = LoopedModel(replace(config.model, n_layers=config.baseline_depth), task.vocab_size + 1)
        return FixedLoopModel(core, task, loops=1, pause_tokens=config.pause_tokens)

    def loss(
        self, model: FixedLoopModel, batch: Batch, supervise_at: list[torch.Tensor], horizon: int | None = None
    ) -> torch.Tensor:
        paused = with_pauses(model, batch)
        return looped_loss(model.core, paused, [paused.steps])

    @torch.no_grad()
    def predict(self, model: FixedLoopModel, batch: Batch, rule: StoppingRule) -> Prediction:
        logits = model(with_pauses(model, batch).inputs)
        tokens = remove_columns(logits.argmax(dim=-1), batch.answer_start, model.pause_tokens)
        return Prediction(tokens=tokens, steps=torch.full_like(batch.steps, model.depth))


def with_pauses(model: FixedLoopModel, batch: Batch) -> Batch:
    """The batch with the pause tokens before each row's '=', read out after the model's fixed loop count."""
    at, count = batch.answer_start, model.pause_tokens
    return Batch(
        inputs=insert_columns(batch.inputs, at, count, model.pause_id),
        targets=insert_columns(batch.targets, at, count, IGNORE),
        loss_mask=insert_columns(batch.loss_mask, at, count, False),
        answer_start=at + count,
        steps=torch.full_like(batch.steps, model.loops),
        lengths=batch.lengths,
    )
