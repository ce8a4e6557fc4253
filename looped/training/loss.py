"""Step-dependent supervision: each example is supervised on the read-out after its own T(n) iterations.

Optionally also at every step T(n)+1 .. T(n)+k, so that the correct answer becomes a fixed point of the loop
rather than a state it passes through. Those extra read-outs cost almost nothing: the loop runs to the batch's
largest step anyway, only the read-out head is applied again. Or at multiples m·T(n), which do cost m times
the iterations: the answer must then hold over a longer run of the loop than any training input needs.

Optionally the answer is also pulled towards the uniform distribution at every step before T(n)
(`unsure_weight`): the information the answer needs has not yet reached it there, so the honest read-out is
unsure, and maximum-confidence stopping then has nothing confident but wrong to pick before T(n).

A model with a witness head learns the task's witness answer at the same steps as the answer, in the same
mean. A model with a halting head is also taught where to stop: over steps 1 .. T(n)+k its halting logit must say
"stop" at T(n) (and, by choice, after it) and not before. The answer is still labelled at T(n) alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F

from looped.model import LoopedModel
from looped.tasks import IGNORE, Batch

HaltingTarget = Literal["at", "from"]


@dataclass(frozen=True)
class Supervision:
    """Which read-outs of a batch are trained: the answer after each step of `answer_steps` ((B,) each), with
    `label_smoothing`, and the halting head over steps 1 .. T(n) + `halting_steps_past` (None: not trained,
    or no head)."""

    answer_steps: list[torch.Tensor]
    halting_steps_past: int | None = None
    halting_weight: float = 1.0
    halting_target: HaltingTarget = "at"
    halting_detached: bool = False  # the head learns to read the loop's states; the loop does not learn from it
    label_smoothing: float = 0.0
    unsure_weight: float = 0.0

    def select(self, rows: slice | torch.Tensor) -> Supervision:
        return replace(self, answer_steps=[steps[rows] for steps in self.answer_steps])

    def to(self, device: torch.device | str) -> Supervision:
        return replace(self, answer_steps=[steps.to(device) for steps in self.answer_steps])


def summed_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """Cross-entropy summed over every target token (IGNORE skipped): callers divide by their own token count."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum", label_smoothing=label_smoothing)


def supervision_steps(batch: Batch, extra_steps: int, multiples: Sequence[int] = ()) -> list[torch.Tensor]:
    """The steps at which each example is supervised: T(n), T(n)+1, ..., T(n)+extra_steps, and m·T(n) for
    each of `multiples`."""
    return [batch.steps + offset for offset in range(extra_steps + 1)] + [batch.steps * m for m in multiples]


def looped_loss(model: LoopedModel, batch: Batch, supervision: Supervision, horizon: int | None = None) -> torch.Tensor:
    """Mean cross-entropy over every supervised token, each example read out at its supervision step(s), plus
    the weighted mean KL divergence from uniform of the answer tokens read before T(n) (if `unsure_weight`),
    plus the weighted halting loss when the model has a halting head.

    The loop runs up to the largest step needed, or to `horizon` if larger (the reference runs every batch to
    a fixed horizon; those extra iterations only cost time). The read-out is applied only where supervised.
    """
    answer_steps, past = supervision.answer_steps, supervision.halting_steps_past
    halting_until = None if past is None else batch.steps + past
    needed = [int(steps.max()) for steps in answer_steps]
    if halting_until is not None:
        needed.append(int(halting_until.max()))
    horizon = max(horizon or 0, *needed)
    read_outs = ((model.head, batch.targets), (model.witness, batch.witness_targets))
    total = torch.zeros((), device=batch.inputs.device)
    count = 0
    unsure, unsure_count = torch.zeros((), device=batch.inputs.device), 0
    halting_logits = []
    for step, state in enumerate(model.states(batch.inputs, horizon), start=1):
        if halting_until is not None:
            halting_state = state.detach() if supervision.halting_detached else state
            halting_logits.append(model.halting(halting_state, batch.loss_mask))
        for target_step in answer_steps:
            rows = target_step == step
            if not bool(rows.any()):
                continue
            supervised = state[rows]
            for head, targets in read_outs:
                if head is not None:
                    selected = targets[rows]
                    total = total + summed_cross_entropy(head(supervised), selected, supervision.label_smoothing)
                    count += int((selected != IGNORE).sum())
        early = batch.steps > step if supervision.unsure_weight else None
        if early is not None and bool(early.any()):
            log_probs = torch.log_softmax(model.head(state[early]), dim=-1)
            answer = batch.targets[early] != IGNORE
            kl_from_uniform = -log_probs.mean(dim=-1) - math.log(log_probs.shape[-1])
            unsure = unsure + (kl_from_uniform * answer).sum()
            unsure_count += int(answer.sum())
    loss = total / max(count, 1) + supervision.unsure_weight * unsure / max(unsure_count, 1)
    if halting_until is None:
        return loss
    stacked = torch.stack(halting_logits, dim=1)
    window = torch.arange(1, horizon + 1, device=stacked.device) <= halting_until.unsqueeze(1)
    return loss + supervision.halting_weight * halting_loss(stacked, batch.steps, window, supervision.halting_target)


def halting_loss(
    halting_logits: torch.Tensor, oracle_steps: torch.Tensor, window: torch.Tensor, target: HaltingTarget
) -> torch.Tensor:
    """Mean over examples of the halting head's error on "stop here?", asked at each step of the window.

    halting_logits (B, S) holds the logit after steps 1..S; `window` (B, S) marks the steps each example is
    judged on. The answer is yes at T(n) only (`target` "at") or at every step from T(n) on ("from"). The yes
    steps and the no steps weigh the same, however many of each there are.
    """
    step = torch.arange(1, halting_logits.shape[1] + 1, device=halting_logits.device)
    oracle = oracle_steps.unsqueeze(1)
    yes = window & ((step == oracle) if target == "at" else (step >= oracle))
    no = window & ~yes
    per_step = F.binary_cross_entropy_with_logits(halting_logits, yes.float(), reduction="none")
    mean_yes = (per_step * yes).sum(1) / yes.sum(1).clamp(min=1)
    mean_no = (per_step * no).sum(1) / no.sum(1).clamp(min=1)
    return (mean_yes + mean_no).mean()
