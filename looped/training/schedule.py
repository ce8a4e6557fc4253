"""Learning rate: linear warm-up, constant while the curriculum grows, then a cosine decay to zero."""

from __future__ import annotations

import math


def learning_rate(step: int, base_lr: float, warmup_steps: int, decay_start: int | None, decay_steps: int) -> float:
    """The rate for `step` (1-based); `decay_start` is None until the curriculum is complete."""
    scale = min(1.0, step / warmup_steps) if warmup_steps else 1.0
    if decay_start is not None and step > decay_start:
        progress = min(1.0, (step - decay_start) / decay_steps)
        scale *= 0.5 * (1.0 + math.cos(math.pi * progress))
    return base_lr * scale
