"""Next-token prediction (NTP) with a standard NoPE decoder of `baseline_depth` layers: trained with
cross-entropy on the answer and end tokens of next-token rows, read out by greedy decoding with a KV cache.

The decoder writes as many tokens as the full-answer row has answer slots (W - answer start), so its output
fills the full-answer layout and is scored like the looped model's; a row ends by predicting pads.
"""

from __future__ import annotations

import torch

from looped.config import RunConfig
from looped.methods.base import FixedLoopModel, Method, fixed_depth_model, insert_columns
from looped.model import KVCache
from looped.stopping import Prediction, StoppingRule
from looped.tasks import IGNORE, Batch, Task
from looped.training.loss import Supervision, summed_cross_entropy


class NextToken(Method):
    name = "ntp"

    def build(self, config: RunConfig, task: Task) -> FixedLoopModel:
        return fixed_depth_model(config, task)

    def loss(
        self, model: FixedLoopModel, batch: Batch, supervision: Supervision, horizon: int | None = None
    ) -> torch.Tensor:
        total = torch.zeros((), device=batch.inputs.device)
        count = 0
        for start in batch.answer_start.unique().tolist():  # next-token rows need one prompt width
            tokens, targets = next_token_rows(model, batch.select(batch.answer_start == start))
            logits = model(tokens)
            total = total + summed_cross_entropy(logits, targets, supervision.label_smoothing)
            count += int((targets != IGNORE).sum())
        return total / max(count, 1)

    @torch.no_grad()
    def predict(self, model: FixedLoopModel, batch: Batch, rule: StoppingRule) -> Prediction:
        tokens = batch.inputs.clone()
        for start in batch.answer_start.unique().tolist():
            rows = batch.answer_start == start
            tokens[rows, start:] = greedy_decode(
                model, prompt_prefix(model, batch.inputs[rows], start), tokens.shape[1] - start
            )
        return Prediction(tokens=tokens, steps=torch.full_like(batch.steps, model.depth))


def next_token_rows(model: FixedLoopModel, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokens and targets of the task's next-token rows with the model's pause tokens right after '=':
    the last pause predicts the first answer token, and no pause is ever a target."""
    rows = model.task.next_token_batch(batch)
    equals = torch.full((len(batch),), rows.prompt_length - 1, device=rows.tokens.device)
    tokens = insert_columns(rows.tokens, equals + 1, model.pause_tokens, model.pause_id)
    targets = insert_columns(rows.targets, equals, model.pause_tokens, IGNORE)
    return tokens, targets


def prompt_prefix(model: FixedLoopModel, inputs: torch.Tensor, start: int) -> torch.Tensor:
    """What decoding starts from: the prompt, '=' (at `start`) and the pause tokens."""
    pauses = torch.full((inputs.shape[0], model.pause_tokens), model.pause_id, dtype=inputs.dtype, device=inputs.device)
    return torch.cat([inputs[:, : start + 1], pauses], dim=1)


@torch.no_grad()
def greedy_decode(model: FixedLoopModel, prefix: torch.Tensor, count: int, use_cache: bool = True) -> torch.Tensor:
    """`count` greedily decoded tokens (B, count) after `prefix`; without the cache every step recomputes the
    whole sequence (the reference the cached path is tested against)."""
    cache = KVCache() if use_cache else None
    context, fed = prefix, prefix
    generated = []
    for _ in range(count):
        token = model(fed, cache)[:, -1].argmax(dim=-1, keepdim=True)
        generated.append(token)
        context = torch.cat([context, token], dim=1)
        fed = token if use_cache else context
    return torch.cat(generated, dim=1)
