"""Accuracy against length for any stopping rule, and the per-step view of one length.

Exact match covers the whole answer region: the answer and every trailing pad after it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from looped.methods import Method, get_method
from looped.model import LoopedModel
from looped.stopping import Prediction, StoppingRule, step_confidence
from looped.stopping.halting import Halting
from looped.tasks import Batch, Task


def exact_match(tokens: torch.Tensor, batch: Batch) -> torch.Tensor:
    """(B,) bool: every supervised position predicted correctly."""
    return ((tokens == batch.targets) | ~batch.loss_mask).all(dim=1)


def fresh_batches(
    task: Task, length: int, samples: int, batch_size: int, seed: int, device: torch.device | str
) -> list[Batch]:
    """Held-out examples of one length, from a stream of its own so evaluation never shifts training data."""
    rng = np.random.default_rng([seed, length, 0xE7A1])
    sizes = [min(batch_size, samples - start) for start in range(0, samples, batch_size)]
    return [task.sample(length, size, rng).to(device) for size in sizes]


class RecordedLoop:
    """A looped model's iterations on one batch, computed once and replayed to every stopping rule that asks.

    Rules call `states`, `iterate` or the model itself, and `head` / `witness` / `halting` on the states;
    replaying spares re-running the loop per rule (oracle, confidence and per-example confidence would otherwise
    each run it), with identical results.
    """

    def __init__(self, model: LoopedModel, inputs: torch.Tensor) -> None:
        self.model, self.inputs = model, inputs
        self.head, self.witness, self.halting = model.head, model.witness, model.halting
        self.recorded: list[torch.Tensor] = []
        self._states = model.states(inputs, max_steps=2**62)  # lazy: only the steps some rule asks for are run

    def states(self, inputs: torch.Tensor, max_steps: int) -> Iterator[torch.Tensor]:
        if inputs is not self.inputs:
            raise ValueError("a RecordedLoop replays only the inputs it was made for")
        for index in range(max_steps):
            if index == len(self.recorded):
                self.recorded.append(next(self._states))
            yield self.recorded[index]

    def iterate(self, inputs: torch.Tensor, max_steps: int) -> Iterator[torch.Tensor]:
        for state in self.states(inputs, max_steps):
            yield self.head(state)

    def __call__(self, inputs: torch.Tensor, steps: int) -> torch.Tensor:
        return deque(self.iterate(inputs, steps), maxlen=1)[0]


@torch.no_grad()
def evaluate_rules(
    model: nn.Module, batches: Sequence[Batch], rules: Sequence[StoppingRule], method: Method | None = None
) -> dict[str, tuple[float, float]]:
    """{rule name: (accuracy, mean loop steps used)} over the batches, predicting as `method` (default looped)
    does; fixed-depth methods ignore the rule."""
    method = method if method is not None else get_method("looped")
    was_training = model.training
    model.eval()
    correct = dict.fromkeys((rule.name for rule in rules), 0)
    steps = dict.fromkeys(correct, 0)
    total = 0
    for batch in batches:
        runner = RecordedLoop(model, batch.inputs) if method.uses_stopping else model
        for rule in rules:
            prediction: Prediction = method.predict(runner, batch, rule)
            correct[rule.name] += int(exact_match(prediction.tokens, batch).sum())
            steps[rule.name] += int(prediction.steps.sum())
        total += len(batch)
    model.train(was_training)
    return {name: (correct[name] / total, steps[name] / total) for name in correct}


def evaluate_rule(
    model: nn.Module, batches: Sequence[Batch], rule: StoppingRule, method: Method | None = None
) -> tuple[float, float]:
    """(accuracy, mean loop steps used) of one rule over the batches."""
    return evaluate_rules(model, batches, [rule], method)[rule.name]


def accuracy_by_length(
    model: nn.Module,
    task: Task,
    lengths: Sequence[int],
    rules: Sequence[StoppingRule],
    samples: int,
    batch_size: int = 250,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: Callable[[], None] | None = None,
    method: Method | None = None,
) -> dict:
    """{"lengths": [...], "rules": {name: {"accuracy": [...], "mean_steps": [...]}}, "samples": N}."""
    results = {rule.name: {"accuracy": [], "mean_steps": []} for rule in rules}
    for length in lengths:
        batches = fresh_batches(task, length, samples, batch_size, seed, device)
        for name, (accuracy, mean_steps) in evaluate_rules(model, batches, rules, method).items():
            results[name]["accuracy"].append(accuracy)
            results[name]["mean_steps"].append(mean_steps)
            if progress is not None:
                progress()
    return {"lengths": list(lengths), "samples": samples, "rules": results}


@torch.no_grad()
def step_profile(
    model: LoopedModel,
    task: Task,
    length: int,
    max_steps: int,
    samples: int,
    batch_size: int = 250,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> dict:
    """Accuracy and confidence after each of 1..max_steps iterations at one length. For a model with a
    halting head also its mean probability of "stop here" per step, and the share of examples that the
    `halting` rule stops at each step when it may run to max_steps; for one with a witness head also the
    witness's accuracy. The confidence loss is the one confidence stopping minimises (answer plus witness).

    This is where a model shows whether its answer settles after T(n) or keeps changing.
    """
    was_training = model.training
    model.eval()
    correct = np.zeros(max_steps)
    confidence_loss = np.zeros(max_steps)
    max_probability = np.zeros(max_steps)
    halting_probability = np.zeros(max_steps)
    halting_stops = np.zeros(max_steps + 1)
    witness_correct = np.zeros(max_steps)
    batches = fresh_batches(task, length, samples, batch_size, seed, device)
    oracle_steps = int(batches[0].steps[0])
    for batch in batches:
        mask = batch.loss_mask.float()
        loop = RecordedLoop(model, batch.inputs)
        witness_batch = replace(batch, targets=batch.witness_targets)  # scores the witness read-out
        for index, state in enumerate(loop.states(batch.inputs, max_steps)):
            logits, score = step_confidence(model, state, batch)
            correct[index] += float(exact_match(logits.argmax(dim=-1), batch).sum())
            confidence_loss[index] += float(score.sum())
            if model.witness is not None:
                witness_correct[index] += float(exact_match(model.witness(state).argmax(dim=-1), witness_batch).sum())
            probs = torch.softmax(logits.float(), dim=-1).max(dim=-1).values
            max_probability[index] += float(((probs * mask).sum(1) / mask.sum(1)).sum())
            if model.halt is not None:
                halting_probability[index] += float(torch.sigmoid(model.halting(state, batch.loss_mask)).sum())
        if model.halt is not None and max_steps >= oracle_steps:
            stops = Halting(max_steps - oracle_steps).predict(loop, batch).steps
            halting_stops += np.bincount(stops.cpu().numpy(), minlength=max_steps + 1)
    model.train(was_training)
    heads = {}
    if model.witness is not None:
        heads["witness_accuracy"] = (witness_correct / samples).tolist()
    if model.halt is not None:
        heads["halting_probability"] = (halting_probability / samples).tolist()
        if max_steps >= oracle_steps:
            heads["halting_stop_share"] = (halting_stops[1:] / samples).tolist()
    return {
        "length": length,
        "oracle_steps": oracle_steps,
        "samples": samples,
        "steps": list(range(1, max_steps + 1)),
        "accuracy": (correct / samples).tolist(),
        "confidence_loss": (confidence_loss / samples).tolist(),
        "mean_max_probability": (max_probability / samples).tolist(),
        **heads,
    }
