"""Task registry. A new task is one module with a `Task` subclass plus one line in `_BUILTIN` (or a call to
`register_task` from user code)."""

from __future__ import annotations

from collections.abc import Callable

from looped.tasks.addition import Addition
from looped.tasks.base import IGNORE, Batch, BitsTask, NextTokenBatch, PromptError, Task
from looped.tasks.binary_sum import BinarySum
from looped.tasks.copy import Copy
from looped.tasks.multiplication import Multiplication
from looped.tasks.parity import Parity
from looped.tasks.unique_set import UniqueSet

_REGISTRY: dict[str, Callable[..., Task]] = {}


def register_task(name: str, factory: Callable[..., Task]) -> None:
    """Make a task available by name to every command and to `get_task`."""
    _REGISTRY[name] = factory


def task_names() -> list[str]:
    return sorted(_REGISTRY)


def get_task(name: str, **options) -> Task:
    """The task called `name`, built with its options (e.g. `steps="n+1"` for addition)."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown task {name!r}; choose one of: {', '.join(task_names())}")
    try:
        return _REGISTRY[name](**options)
    except TypeError as error:  # an option the task does not take
        raise ValueError(f"bad task_options for {name}: {error}") from None


_BUILTIN: dict[str, Callable[..., Task]] = {
    "parity": Parity,
    "copy": Copy,
    "addition": Addition,
    "multiplication": Multiplication,
    "binary_sum": BinarySum,
    "unique_set": UniqueSet,
}
for _name, _factory in _BUILTIN.items():
    register_task(_name, _factory)

__all__ = [
    "IGNORE",
    "Batch",
    "BitsTask",
    "NextTokenBatch",
    "PromptError",
    "Task",
    "get_task",
    "register_task",
    "task_names",
]
