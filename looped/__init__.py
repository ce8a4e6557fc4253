"""looped: Looped Transformers that length-generalize."""

from looped.api import LoopedTransformer, Solution
from looped.config import CurriculumConfig, RunConfig, TrainConfig
from looped.model import LoopedModel, ModelConfig
from looped.stopping import StoppingRule, get_stopping, register_stopping
from looped.tasks import Task, get_task, register_task

__all__ = [
    "CurriculumConfig",
    "LoopedModel",
    "LoopedTransformer",
    "ModelConfig",
    "RunConfig",
    "Solution",
    "StoppingRule",
    "Task",
    "TrainConfig",
    "get_stopping",
    "get_task",
    "register_stopping",
    "register_task",
]
