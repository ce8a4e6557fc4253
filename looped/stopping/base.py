"""The stopping-rule interface: how many loop iterations to run at inference, and which step to read out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch

from looped.model import LoopedModel
from looped.tasks import Batch


@dataclass(frozen=True)
class Prediction:
    tokens: torch.Tensor  # (B, W) argmax ids read out at the chosen step
    steps: torch.Tensor  # (B,) loop iterations used per example


class StoppingRule(ABC):
    """Decides, from the logits of each iteration, when to stop. Rules see T(n) only through `batch.steps`,
    which depends on the input size n alone, never on the answer."""

    name: str

    @classmethod
    def from_argument(cls, argument: int | None, default_extra_steps: int) -> StoppingRule:
        """Build the rule from the optional number in `name:number`; rules that take none refuse one."""
        if argument is not None:
            raise ValueError(f"stopping rule {cls.name!r} takes no argument")
        return cls()

    def check(self, model: LoopedModel) -> None:
        """Raise ValueError, naming the problem, if this rule cannot read out `model` (before any work is done)."""
        return None  # most rules can read out any looped model

    @abstractmethod
    def predict(self, model: LoopedModel, batch: Batch) -> Prediction: ...


class LooksPastOracle(StoppingRule):
    """A rule that may run up to `extra_steps` iterations past T(n) (`name:K` sets K)."""

    def __init__(self, extra_steps: int = 20) -> None:
        if extra_steps < 0:
            raise ValueError(f"{self.name} stopping needs extra steps >= 0, got {extra_steps}")
        self.extra_steps = extra_steps

    @classmethod
    def from_argument(cls, argument: int | None, default_extra_steps: int) -> StoppingRule:
        return cls(default_extra_steps if argument is None else argument)

    def horizon(self, batch: Batch) -> int:
        return int(batch.steps.max()) + self.extra_steps


def answer_confidence(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-example cross-entropy of the prediction against its own argmax over the answer region.

    Lower is more confident: it is -sum log max_v p(v) over answer positions (the reference's criterion),
    computed as log(1 + sum_{v != argmax} exp(l_v - l_max)). The textbook form, max of log_softmax, rounds to
    exactly 0 once the answer is all but certain (a logit margin of about 17 in float32), and steps tied at 0
    would be decided by their order, not by how sure each one is; this form stays above 0 up to a margin of
    about 100.
    """
    logits = logits.float()
    top = logits.max(dim=-1, keepdim=True)
    others = (logits - top.values).scatter(-1, top.indices, float("-inf"))
    neg_log_max = torch.nn.functional.softplus(others.logsumexp(dim=-1))
    return (neg_log_max * mask).sum(dim=1)


def step_confidence(model: LoopedModel, state: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The answer logits of one step's state and its per-example confidence loss (lower is more confident):
    the answer's, plus the witness read-out's when the model has a witness head."""
    logits = model.head(state)
    mask = batch.loss_mask.float()
    score = answer_confidence(logits, mask)
    if model.witness is not None:
        score = score + answer_confidence(model.witness(state), mask)
    return logits, score
