"""Step-dependent supervision: each example is supervised on the read-out after its own T(n) iterations.

Optionally also at every step T(n)+1 .. T(n)+k, so that the correct answer becomes a fixed point of the loop
rather than a state it passes through; maximum-confidence stopping relies on that. Those extra read-outs cost
almost nothing: the loop runs to the batch's largest step anyway, only the read-out head is applied again.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from looped.model import LoopedModel
from looped.tasks import Batch


def supervision_steps(batch: Batch, extra_steps: int) -> list[torch.Tensor]:
    """The steps at which each example is supervised: T(n), T(n)+1, ..., T(n)+extra_steps."""
    return [batch.steps + offset for offset in range(extra_steps + 1)]


def looped_loss(
    model: LoopedModel, batch: Batch, supervise_at: list[torch.Tensor], horizon: int | None = None
) -> torch.Tensor:
    """Mean cross-entropy over every supervised token, each example read out at its supervision step(s).

    The loop runs up to the largest step needed, or to `horizon` if larger (the reference runs every batch to
    a fixed horizon; those extra iterations only cost time). The read-out is applied only where supervised.
    """
    horizon = max(horizon or 0, int(max(s.max() for s in supervise_at)))
    total = torch.zeros((), device=batch.inputs.device)
    count = 0
    for step, state in enumerate(model.states(batch.inputs, horizon), start=1):
        for target_step in supervise_at:
            rows = target_step == step
            if not bool(rows.any()):
                continue
            logits = model.head(state[rows])
            targets = batch.targets[rows]
            total = total + F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="sum")
            count += int(batch.loss_mask[rows].sum())
    return total / max(count, 1)
