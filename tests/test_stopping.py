"""Stopping rules: the registry's names and errors, and each rule checked against a brute-force computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import scrambled_model

from looped.evaluation import RecordedLoop, exact_match, fresh_batches, step_profile
from looped.model import ModelConfig
from looped.stopping import answer_confidence, get_stopping, stopping_names
from looped.stopping.confidence import MaxConfidence, MaxConfidencePerExample
from looped.stopping.fixed import FixedSteps
from looped.stopping.halting import Halting
from looped.stopping.oracle import Oracle
from looped.tasks import Batch, get_task


@pytest.fixture(scope="module")
def task():
    return get_task("copy")  # multi-token answers, T(n) = n


@pytest.fixture(scope="module")
def model(task):
    config = ModelConfig(d_model=16, n_heads=2, n_layers=1, mlp_ratio=2)
    return scrambled_model(config, task.vocab_size, seed=3)


@pytest.fixture(scope="module")
def halting_model(task):
    config = ModelConfig(d_model=16, n_heads=2, n_layers=1, mlp_ratio=2, halting_head=True)
    return scrambled_model(config, task.vocab_size, seed=4)


@pytest.fixture(scope="module")
def mixed_batch(task) -> Batch:
    sizes = np.array([1, 4, 2, 4, 3, 1, 2, 4, 3, 3])
    return task.sample_mixed(sizes, np.random.default_rng(0))


# --- the registry --------------------------------------------------------------------------------------------


def test_names() -> None:
    assert set(stopping_names()) >= {"oracle", "fixed", "confidence", "confidence-per-example"}
    assert stopping_names() == sorted(stopping_names())


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("oracle", Oracle),
        ("fixed:30", FixedSteps),
        (" fixed:7 ", FixedSteps),
        ("confidence", MaxConfidence),
        ("confidence-per-example", MaxConfidencePerExample),
        ("halting:3", Halting),
    ],
)
def test_get_stopping_builds_the_named_rule(spec: str, kind: type) -> None:
    rule = get_stopping(spec)
    assert type(rule) is kind
    assert rule.name == spec.strip().partition(":")[0]


def test_rule_numbers() -> None:
    assert get_stopping("fixed:30").steps == 30
    assert get_stopping("confidence").extra_steps == 20
    assert get_stopping("confidence", default_extra_steps=5).extra_steps == 5
    assert get_stopping("confidence:7", default_extra_steps=5).extra_steps == 7
    assert get_stopping("confidence-per-example:0").extra_steps == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "unknown stopping rule"),
        ("", "unknown stopping rule"),
        ("fixed", "needs a step count"),
        ("fixed:", "needs a step count"),
        ("fixed:x", "whole number"),
        ("fixed:-3", "whole number"),
        ("fixed:2.5", "whole number"),
        ("fixed:0", ">= 1"),
        ("oracle:3", "takes no argument"),
        ("confidence:abc", "whole number"),
    ],
)
def test_get_stopping_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_stopping(spec)


def test_unknown_rule_error_lists_the_choices() -> None:
    with pytest.raises(ValueError) as error:
        get_stopping("nope")
    for name in stopping_names():
        assert name in str(error.value)


def test_confidence_refuses_negative_extra_steps() -> None:
    with pytest.raises(ValueError):
        MaxConfidence(-1)


# --- the rules ------------------------------------------------------------------------------------------------


def brute_force_logits(model, batch: Batch, horizon: int) -> torch.Tensor:
    """(horizon, B, W, V): the logits after every iteration, each computed from scratch with forward()."""
    return torch.stack([model(batch.inputs, t) for t in range(1, horizon + 1)])


@torch.no_grad()
def test_oracle_reads_each_example_at_its_own_steps(model, mixed_batch: Batch) -> None:
    assert len(set(mixed_batch.steps.tolist())) > 1
    prediction = get_stopping("oracle").predict(model, mixed_batch)
    assert torch.equal(prediction.steps, mixed_batch.steps)
    assert torch.equal(prediction.steps, mixed_batch.lengths)  # copy: T(n) = n
    logits = brute_force_logits(model, mixed_batch, int(mixed_batch.steps.max()))
    for row, steps in enumerate(mixed_batch.steps.tolist()):
        assert torch.equal(prediction.tokens[row], logits[steps - 1, row].argmax(dim=-1))


class StepEcho(torch.nn.Module):
    """A stand-in model whose read-out after iteration t predicts token t everywhere: tokens show the step."""

    vocab = 64

    def iterate(self, inputs: torch.Tensor, max_steps: int):
        for step in range(1, max_steps + 1):
            yield torch.nn.functional.one_hot(torch.full_like(inputs, step), self.vocab).float()

    def forward(self, inputs: torch.Tensor, steps: int) -> torch.Tensor:
        return list(self.iterate(inputs, steps))[-1]


@torch.no_grad()
def test_oracle_tokens_come_from_each_examples_own_step(mixed_batch: Batch) -> None:
    prediction = get_stopping("oracle").predict(StepEcho(), mixed_batch)
    expected = mixed_batch.steps[:, None].expand_as(mixed_batch.inputs)
    assert torch.equal(prediction.tokens, expected)


@torch.no_grad()
def test_fixed_tokens_come_from_its_step(mixed_batch: Batch) -> None:
    prediction = get_stopping("fixed:5").predict(StepEcho(), mixed_batch)
    assert torch.equal(prediction.tokens, torch.full_like(mixed_batch.inputs, 5))


@pytest.mark.parametrize("count", [1, 3, 9])
@torch.no_grad()
def test_fixed_uses_its_count_for_everyone(model, mixed_batch: Batch, count: int) -> None:
    prediction = get_stopping(f"fixed:{count}").predict(model, mixed_batch)
    assert prediction.steps.tolist() == [count] * len(mixed_batch)
    assert torch.equal(prediction.tokens, model(mixed_batch.inputs, count).argmax(dim=-1))


def confidence_by_step(model, batch: Batch, extra: int) -> tuple[int, list[torch.Tensor], torch.Tensor]:
    """(horizon, logits per step, per-example confidence scores (horizon, B)) computed by brute force."""
    horizon = int(batch.steps.max()) + extra
    logits = brute_force_logits(model, batch, horizon)
    mask = batch.loss_mask.float()
    return horizon, logits, torch.stack([answer_confidence(step_logits, mask) for step_logits in logits])


@pytest.mark.parametrize("extra", [0, 2, 6])
@torch.no_grad()
def test_confidence_per_example_picks_each_examples_argmin(model, mixed_batch: Batch, extra: int) -> None:
    prediction = get_stopping(f"confidence-per-example:{extra}").predict(model, mixed_batch)
    horizon, logits, scores = confidence_by_step(model, mixed_batch, extra)
    best = scores.argmin(dim=0)  # first minimum, as the rule keeps the earliest of equal scores
    assert torch.equal(prediction.steps, best + 1)
    assert int(prediction.steps.min()) >= 1 and int(prediction.steps.max()) <= horizon
    for row in range(len(mixed_batch)):
        assert torch.equal(prediction.tokens[row], logits[best[row], row].argmax(dim=-1))
    if extra:
        assert len(set(prediction.steps.tolist())) > 1, "the per-example rule should not pick one step here"


@pytest.mark.parametrize("extra", [0, 4])
@torch.no_grad()
def test_batch_confidence_uses_one_step_for_the_whole_batch(model, mixed_batch: Batch, extra: int) -> None:
    prediction = get_stopping(f"confidence:{extra}").predict(model, mixed_batch)
    horizon, logits, scores = confidence_by_step(model, mixed_batch, extra)
    step = int(scores.mean(dim=1).argmin()) + 1
    assert prediction.steps.tolist() == [step] * len(mixed_batch)
    assert 1 <= step <= horizon
    assert torch.equal(prediction.tokens, logits[step - 1].argmax(dim=-1))


class ScriptedHalting(torch.nn.Module):
    """A stand-in model: the state after step t is t everywhere (so the read-out predicts token t), and each
    row's halting logit follows a script over the steps."""

    halt = True

    def __init__(self, script: list[list[float]]) -> None:
        super().__init__()
        self.script = torch.tensor(script)  # (B, steps)

    def states(self, inputs: torch.Tensor, max_steps: int):
        for step in range(1, max_steps + 1):
            yield torch.full(inputs.shape, float(step))

    def head(self, state: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(state.long(), 64).float()

    def halting(self, state: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.script[:, int(state[0, 0]) - 1]


@torch.no_grad()
def test_halting_stops_at_the_first_yes_else_where_the_logit_came_closest(mixed_batch: Batch) -> None:
    batch = mixed_batch.select(slice(0, 4))
    extra = 6 - int(batch.steps.max())  # a horizon of 6 steps
    script = [
        [-3.0, 0.5, 2.0, -1.0, 5.0, 1.0],  # first yes at step 2, though step 5 is higher
        [-3.0, -2.0, -0.5, -1.0, -4.0, -0.7],  # never: the highest logit, step 3
        [1.0, 9.0, 9.0, 9.0, 9.0, 9.0],  # at once
        [-1.0, -1.0, -1.0, -1.0, -1.0, 0.1],  # at the last step of the horizon
    ]
    prediction = get_stopping(f"halting:{extra}").predict(ScriptedHalting(script), batch)
    assert prediction.steps.tolist() == [2, 3, 1, 6]
    assert torch.equal(prediction.tokens, prediction.steps[:, None].expand_as(batch.inputs))


@torch.no_grad()
def test_halting_rule_on_a_real_halting_head(halting_model, mixed_batch: Batch) -> None:
    prediction = get_stopping("halting:5").predict(halting_model, mixed_batch)
    horizon = int(mixed_batch.steps.max()) + 5
    states = [list(halting_model.states(mixed_batch.inputs, t))[-1] for t in range(1, horizon + 1)]  # from scratch
    logits = torch.stack([halting_model.halting(state, mixed_batch.loss_mask) for state in states], dim=1)
    for row, logit in enumerate(logits.tolist()):
        yes = [t for t, value in enumerate(logit, start=1) if value > 0]
        expected = yes[0] if yes else int(np.argmax(logit)) + 1
        assert prediction.steps[row] == expected
        assert torch.equal(prediction.tokens[row], halting_model.head(states[expected - 1][row]).argmax(dim=-1))


def test_halting_needs_a_model_with_a_halting_head(model, mixed_batch: Batch) -> None:
    with pytest.raises(ValueError, match="no halting head; train one with model.halting_head: true"):
        get_stopping("halting").predict(model, mixed_batch)


@torch.no_grad()
def test_answer_confidence_is_the_masked_negative_log_max_probability() -> None:
    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 5.0, 1.0], [1.0, 1.0, 1.0]]])
    mask = torch.tensor([[0.0, 1.0, 1.0]])
    expected = -torch.log_softmax(logits[0, 1], -1).max() - torch.log_softmax(logits[0, 2], -1).max()
    torch.testing.assert_close(answer_confidence(logits, mask), expected.reshape(1))
    uniform = answer_confidence(torch.zeros(1, 2, 4), torch.ones(1, 2))
    torch.testing.assert_close(uniform, torch.tensor([2 * np.log(4)], dtype=torch.float32))


@torch.no_grad()
def test_answer_confidence_keeps_nearly_certain_answers_apart() -> None:
    """Margins of 20 and 30 both round log_softmax's maximum to 0 in float32, yet the second is surer:
    exactly -log(1 + 2 e^-margin) for a three-way read-out."""
    mask = torch.ones(1, 1)
    scores = [answer_confidence(torch.tensor([[[margin, 0.0, 0.0]]]), mask) for margin in (20.0, 30.0)]
    for margin, score in zip((20.0, 30.0), scores, strict=True):
        torch.testing.assert_close(score, torch.tensor([np.log1p(2 * np.exp(-margin))], dtype=torch.float32))
    assert scores[1] < scores[0] and scores[1] > 0
    assert torch.log_softmax(torch.tensor([20.0, 0.0, 0.0]), -1).max() == 0  # what the textbook form gives


@torch.no_grad()
def test_rules_do_not_look_at_the_answer(halting_model, task, mixed_batch: Batch) -> None:
    """Changing the targets (but not the answer-region mask) leaves every rule's prediction unchanged."""
    scrambled_targets = torch.where(mixed_batch.loss_mask, (mixed_batch.targets + 1) % 2, mixed_batch.targets)
    other = Batch(**{**mixed_batch.__dict__, "targets": scrambled_targets})
    for spec in ("oracle", "fixed:3", "confidence:3", "confidence-per-example:3", "halting:3"):
        rule = get_stopping(spec)
        first, second = rule.predict(halting_model, mixed_batch), rule.predict(halting_model, other)
        assert torch.equal(first.tokens, second.tokens) and torch.equal(first.steps, second.steps)


@torch.no_grad()
def test_replayed_iterations_give_every_rule_its_own_prediction(halting_model, mixed_batch: Batch) -> None:
    """Evaluation runs the loop once per batch and replays it; each rule must predict exactly as on the model."""
    replay = RecordedLoop(halting_model, mixed_batch.inputs)
    for spec in ("confidence-per-example:3", "oracle", "fixed:2", "halting:1", "confidence:5", "fixed:9"):
        rule = get_stopping(spec)
        direct, replayed = rule.predict(halting_model, mixed_batch), rule.predict(replay, mixed_batch)
        assert torch.equal(direct.tokens, replayed.tokens) and torch.equal(direct.steps, replayed.steps)
    assert len(replay.recorded) == 9  # the longest horizon asked for, each step computed once
    with pytest.raises(ValueError, match="replays only"):
        next(replay.iterate(mixed_batch.inputs.clone(), 1))


@torch.no_grad()
def test_step_profile_of_a_halting_head(halting_model, task) -> None:
    profile = step_profile(halting_model, task, length=3, max_steps=7, samples=12, batch_size=5, seed=9)
    batches = fresh_batches(task, 3, 12, 5, seed=9, device="cpu")
    probability, correct, stops = np.zeros(7), np.zeros(7), np.zeros(7)
    for batch in batches:
        for t in range(1, 8):
            state = list(halting_model.states(batch.inputs, t))[-1]
            probability[t - 1] += float(torch.sigmoid(halting_model.halting(state, batch.loss_mask)).sum())
            correct[t - 1] += float(exact_match(halting_model.head(state).argmax(-1), batch).sum())
        for step in get_stopping("halting:4").predict(halting_model, batch).steps.tolist():  # T(3) + 4 = 7
            stops[step - 1] += 1
    assert profile["halting_probability"] == pytest.approx((probability / 12).tolist())
    assert profile["accuracy"] == pytest.approx((correct / 12).tolist())
    assert profile["halting_stop_share"] == pytest.approx((stops / 12).tolist()) and sum(stops) == 12
    plain = scrambled_model(ModelConfig(d_model=8, n_heads=2), task.vocab_size)
    assert not {"halting_probability", "halting_stop_share"} & set(step_profile(plain, task, 3, 4, 4))
