"""looped: Looped Transformers that length-generalize."""

from looped.api import LoopedTransformer, Solution
from looped.config import CurriculumConfig, RunConfig, TrainConfig
from looped.methods import Method, get_method, register_method
from looped.model import LoopedModel, ModelConfig
from looped.stopping import StoppingRule, get_stopping, register_stopping
from looped.tasks import Task, get_task, register_task

__all__ = [
    "CurriculumConfig",
    "LoopedModel",
    "LoopedTransformer",
    "Method",
    "ModelConfig",
    "RunConfig",
    "Solution",
    "StoppingRule",
    "Task",
    "TrainConfig",
    "get_method",
    "get_stopping",
    "get_task",
    "register_method",
    "register_stopping",
    "register_task",
]
