"""The Python API: load a trained model in one line, solve typed prompts, evaluate, save.

    from looped import LoopedTransformer
    model = LoopedTransformer.from_pretrained("results/parity/model")
    model.solve(["1011", "111"])  # [Solution(prompt='1011', answer='1', steps=4), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from looped.config import RunConfig
from looped.errors import LoopedError
from looped.evaluation import accuracy_by_length
from looped.methods import get_method
from looped.stopping import StoppingRule, get_stopping
from looped.tasks import Task, get_task
from looped.training.checkpoint import read_model_folder, save_model_folder


@dataclass(frozen=True)
class Solution:
    prompt: str
    answer: str
    steps: int


class LoopedTransformer:
    """A trained model (the looped model or a baseline, per `config.method`) with its task and run config."""

    def __init__(self, model: nn.Module, config: RunConfig) -> None:
        self.model = model.eval()
        self.config = config
        self.task: Task = get_task(config.task, **config.task_options)
        self.method = get_method(config.method)

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | torch.device = "cpu") -> LoopedTransformer:
        """Load a model folder (config.json + model.safetensors) or the best model of a run directory."""
        config, weights, _ = read_model_folder(Path(path))
        model = get_method(config.method).build(config, get_task(config.task, **config.task_options))
        try:
            model.load_state_dict(weights)
        except RuntimeError as error:
            first = str(error).splitlines()[0]
            raise LoopedError(f"{path}: weights do not match config.json ({first})") from None
        return cls(model.to(device), config)

    def save_pretrained(self, path: str | Path) -> None:
        """Write the same folder format that training writes, loadable by `from_pretrained` and the CLI."""
        save_model_folder(Path(path), self.model, self.config)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> LoopedTransformer:
        self.model.to(device)
        return self

    def stopping_rule(self, stopping: str | StoppingRule) -> StoppingRule:
        """The rule named by `stopping` (or the rule itself), checked against this model (ValueError if unusable)."""
        rule = get_stopping(stopping, self.config.confidence_extra_steps) if isinstance(stopping, str) else stopping
        if self.method.uses_stopping:
            rule.check(self.model)
        return rule

    @torch.no_grad()
    def solve(self, prompts: Sequence[str], stopping: str | StoppingRule = "confidence-per-example") -> list[Solution]:
        """Answer typed prompts (the task's text form), in order, with the loop count each one used.

        Raises PromptError, naming the problem, for a malformed prompt.
        """
        rule = self.stopping_rule(stopping)
        solutions: list[Solution | None] = [None] * len(prompts)
        for indices, batch in self.task.encode(list(prompts)):
            batch = batch.to(self.device)
            prediction = self.method.predict(self.model, batch, rule)
            answers = self.task.decode_answers(prediction.tokens.cpu(), batch.answer_start.cpu())
            for index, answer, steps in zip(indices, answers, prediction.steps.tolist(), strict=True):
                solutions[index] = Solution(prompt=prompts[index], answer=answer, steps=steps)
        return solutions  # type: ignore[return-value]

    def evaluate(
        self,
        lengths: Sequence[int],
        stopping: Sequence[str | StoppingRule] = ("oracle",),
        samples: int = 1000,
        seed: int = 0,
    ) -> dict:
        """Exact-match accuracy against length for each stopping rule, on fresh random examples."""
        rules = [self.stopping_rule(s) for s in stopping]
        return accuracy_by_length(
            self.model, self.task, lengths, rules, samples, seed=seed, device=self.device, method=self.method
        )
