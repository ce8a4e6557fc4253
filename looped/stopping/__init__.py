"""Stopping-rule registry. A rule is named on the command line as `name` or `name:number`
(`fixed:30`; `confidence:10` looks 10 steps past T(n)). A new rule is one module plus one `register_stopping` line."""

from __future__ import annotations

from looped.stopping.base import Prediction, StoppingRule, answer_confidence, step_confidence
from looped.stopping.confidence import MaxConfidence, MaxConfidencePerExample
from looped.stopping.fixed import FixedSteps
from looped.stopping.halting import Halting
from looped.stopping.oracle import Oracle

_REGISTRY: dict[str, type[StoppingRule]] = {}


def register_stopping(rule: type[StoppingRule]) -> type[StoppingRule]:
    """Make a rule class available under its `name` (usable as a class decorator)."""
    _REGISTRY[rule.name] = rule
    return rule


def stopping_names() -> list[str]:
    return sorted(_REGISTRY)


def get_stopping(spec: str, default_extra_steps: int = 20) -> StoppingRule:
    """The rule named by `spec`; confidence rules look `default_extra_steps` past T(n) unless told otherwise."""
    name, _, argument = spec.strip().partition(":")
    if name not in _REGISTRY:
        raise ValueError(f"unknown stopping rule {name!r}; choose from: {', '.join(stopping_names())}")
    if argument and not argument.isdigit():
        raise ValueError(f"stopping rule {spec!r}: the number after ':' must be a whole number")
    return _REGISTRY[name].from_argument(int(argument) if argument else None, default_extra_steps)


for _rule in (Oracle, MaxConfidence, MaxConfidencePerExample, Halting, FixedSteps):
    register_stopping(_rule)

__all__ = [
    "Prediction",
    "StoppingRule",
    "answer_confidence",
    "get_stopping",
    "register_stopping",
    "step_confidence",
    "stopping_names",
]
