"""Full-answer prediction at a fixed depth: a plain stack of `baseline_depth` layers that reads out the whole
answer at once, with `pause_tokens` pause tokens (id task.vocab_size) inserted before '=' for extra width.

The pauses shift '=' and the answer region right by `pause_tokens` inside the method; predictions are mapped
back to the caller's layout by dropping those columns.
"""

from __future__ import annotations

import torch

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel, Method, fixed_depth_model, insert_columns, remove_columns
from looped.stopping import Prediction, StoppingRule
from looped.tasks import IGNORE, Batch, Task
from looped.training.loss import Supervision, looped_loss


class FullAnswerPause(Method):
    name = "fap-pause"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        return fixed_depth_model(config, task, config.pause_tokens)

    def loss(
        self, model: FixedLoopModel, batch: Batch, supervision: Supervision, horizon: int | None = None
    ) -> torch.Tensor:
        paused = with_pauses(model, batch)
        return looped_loss(model.core, paused, Supervision([paused.steps], label_smoothing=supervision.label_smoothing))

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
        witness_targets=insert_columns(batch.witness_targets, at, count, IGNORE),
    )
