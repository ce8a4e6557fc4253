"""Training: it learns, checkpoints round-trip, resuming is exact, curricula, schedule and loss behave."""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import LEARNING_RUN, scrambled_model
from safetensors.torch import load_file

from looped.api import LoopedTransformer
from looped.config import CurriculumConfig, RunConfig, TrainConfig
from looped.errors import LoopedError
from looped.evaluation import evaluate_rule, fresh_batches
from looped.model import ModelConfig
from looped.stopping import Oracle
from looped.tasks import IGNORE, get_task
from looped.tasks.base import Batch
from looped.training.curriculum import Curriculum
from looped.training.loss import Supervision, halting_loss, looped_loss, supervision_steps
from looped.training.schedule import learning_rate
from looped.training.trainer import Trainer

# --- learning -----------------------------------------------------------------------------------------------------


def test_tiny_model_learns_parity_up_to_4(learned_parity: Path) -> None:
    summary = json.loads((learned_parity / "summary.json").read_text())
    assert summary["curriculum_max"] == 4
    model = LoopedTransformer.from_pretrained(learned_parity / "best")
    result = model.evaluate([1, 2, 3, 4], ["oracle"], samples=400, seed=2024)  # fresh examples
    accuracy = dict(zip(result["lengths"], result["rules"]["oracle"]["accuracy"], strict=True))
    assert accuracy[4] >= 0.95, accuracy
    assert min(accuracy.values()) >= 0.95, accuracy
    # Every one of the 16 inputs of size 4, typed, with each example read out at T(n) = 4.
    prompts = ["".join(bits) for bits in itertools.product("01", repeat=4)]
    solutions = model.solve(prompts, stopping="oracle")
    assert [s.steps for s in solutions] == [4] * 16
    correct = sum(s.answer == model.task.solve(s.prompt) for s in solutions)
    assert correct >= 15


def test_run_directory_layout(learned_parity: Path) -> None:
    for folder in ("best", "last"):
        assert (learned_parity / folder / "model.safetensors").is_file()
        assert (learned_parity / folder / "config.json").is_file()
    assert (learned_parity / "last" / "trainer_state.pt").is_file()
    records = read_metrics(learned_parity)
    steps = [r["step"] for r in records]
    assert steps == sorted(steps)
    assert any("val_score" in r for r in records) and any("loss" in r for r in records)
    saved = json.loads((learned_parity / "best" / "config.json").read_text())
    assert saved["task"] == "parity" and saved["model"]["d_model"] == LEARNING_RUN["model"]["d_model"]


# --- checkpoints --------------------------------------------------------------------------------------------------


def test_checkpoint_round_trip(learned_parity: Path, tmp_path: Path) -> None:
    original = LoopedTransformer.from_pretrained(learned_parity)  # a run directory means its best model
    original.save_pretrained(tmp_path / "copy")
    loaded = LoopedTransformer.from_pretrained(tmp_path / "copy")

    assert loaded.config == original.config
    assert loaded.model.state_dict().keys() == original.model.state_dict().keys()
    for name, tensor in original.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor), name

    batch = original.task.sample_mixed(np.array([1, 2, 3, 5, 7]), np.random.default_rng(5))
    with torch.no_grad():
        for steps in (1, 4, 9):
            assert torch.equal(loaded.model(batch.inputs, steps), original.model(batch.inputs, steps))

    prompts = ["1", "10", "0110", "11111", "1010101", "0000000011"]
    for stopping in ("oracle", "confidence", "confidence-per-example:5", "fixed:6"):
        assert loaded.solve(prompts, stopping) == original.solve(prompts, stopping)


def test_round_trip_of_an_untrained_model_with_options(tmp_path: Path) -> None:
    config = RunConfig(task="addition", task_options={"steps": "n+1"}, model=ModelConfig(d_model=16, n_heads=2))
    task = get_task("addition", steps="n+1")
    model = LoopedTransformer(scrambled_model(config.model, task.vocab_size), config)
    model.save_pretrained(tmp_path / "m")
    loaded = LoopedTransformer.from_pretrained(tmp_path / "m")
    assert loaded.config == config
    assert loaded.task.steps(3) == 4
    prompts = ["101+011", "1+1", "1111+0001"]
    assert loaded.solve(prompts, "oracle") == model.solve(prompts, "oracle")
    assert [s.steps for s in loaded.solve(prompts, "oracle")] == [4, 2, 5]


def test_from_pretrained_errors(tmp_path: Path) -> None:
    with pytest.raises(LoopedError, match="does not exist"):
        LoopedTransformer.from_pretrained(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoopedError):
        LoopedTransformer.from_pretrained(tmp_path / "empty")


# --- resuming -----------------------------------------------------------------------------------------------------


def resume_config(
    ema: bool, batching: str, left_fillers: int = 0, lr_stall_steps: int = 0, right_fillers: int = 0
) -> RunConfig:
    """40 tiny steps: the curriculum grows at steps 10, 20, 25-30 and 35 (so around the interruption at 23),
    evaluations and checkpoints every 10 steps, a second supervision step drawn from the run's generator."""
    return RunConfig.from_dict(
        {
            "task": "parity",
            "seed": 3,
            "model": {"d_model": 16, "n_heads": 2, "n_layers": 1, "mlp_ratio": 2},
            "curriculum": {
                "kind": "adaptive",
                "max_length": 5,
                "threshold": 0.5,
                "check_every": 5,
                "check_samples": 16,
            },
            "train": {
                "max_steps": 40,
                "batch_size": 8,
                "lr": 3e-3,
                "warmup_steps": 5,
                "decay_steps": 15,
                "eval_every": 10,
                "eval_samples": 16,
                "val_lengths": [4],
                "val_stopping": ["oracle", "confidence-per-example"],
                "log_every": 5,
                "extra_supervised_steps": 2,
                "batching": batching,
                "ema_decay": 0.9 if ema else None,
                "left_fillers": left_fillers,
                "right_fillers": right_fillers,
                "lr_stall_steps": lr_stall_steps,
            },
            "confidence_extra_steps": 3,
        }
    )


def read_weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(folder / "model.safetensors")


def read_metrics(run: Path, log: str = "metrics.jsonl") -> list[dict]:
    return [json.loads(line) for line in (run / log).read_text().splitlines()]


def metrics_without_timing(run: Path, log: str = "metrics.jsonl") -> list[dict]:
    return [{k: v for k, v in r.items() if k != "samples_per_s"} for r in read_metrics(run, log)]


@pytest.mark.parametrize(
    ("ema", "batching", "left_fillers", "lr_stall_steps", "right_fillers"),
    [
        (False, "per-size", 0, 0, 0),
        (True, "mixed", 0, 0, 0),
        (False, "per-size", 3, 0, 0),
        (False, "per-size", 0, 4, 0),
        (False, "mixed", 0, 0, 3),
    ],
)
def test_interrupted_and_resumed_run_matches_an_uninterrupted_one(
    tmp_path: Path, ema: bool, batching: str, left_fillers: int, lr_stall_steps: int, right_fillers: int
) -> None:
    config = resume_config(ema, batching, left_fillers, lr_stall_steps, right_fillers)
    whole = tmp_path / "whole"
    whole_summary = Trainer(copy.deepcopy(config), whole, show_progress=False).run()

    parts = tmp_path / "parts"
    partial = Trainer(copy.deepcopy(config), parts, show_progress=False).run(until=23)  # between evaluations
    assert partial["steps"] == 23
    assert json.loads((parts / "last" / "config.json").read_text())["step"] == 23
    resumed_summary = Trainer(copy.deepcopy(config), parts, resume=True, show_progress=False).run()

    assert whole_summary["steps"] == resumed_summary["steps"]
    for folder in ("last", "best"):
        expected, actual = read_weights(whole / folder), read_weights(parts / folder)
        assert expected.keys() == actual.keys()
        for name in expected:
            assert torch.equal(expected[name], actual[name]), f"{folder}/{name}"
    expected_state = torch.load(whole / "last" / "trainer_state.pt", weights_only=False)
    actual_state = torch.load(parts / "last" / "trainer_state.pt", weights_only=False)
    for name, tensor in expected_state["model"].items():
        assert torch.equal(tensor, actual_state["model"][name]), name
    assert expected_state["curriculum"] == actual_state["curriculum"]
    assert expected_state["rng"] == actual_state["rng"]

    assert metrics_without_timing(whole) == metrics_without_timing(parts)
    ignore = {"train_seconds", "curriculum_reached_after_seconds"}
    assert {k: v for k, v in whole_summary.items() if k not in ignore} == {
        k: v for k, v in resumed_summary.items() if k not in ignore
    }


def raise_keyboard_interrupt() -> None:
    raise KeyboardInterrupt


def send_sigint() -> None:
    os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize(
    ("interrupt", "stopped_after"),
    [(raise_keyboard_interrupt, 22), (send_sigint, 23)],
    ids=["keyboard-interrupt-inside-the-step", "sigint-finishes-the-step"],
)
def test_interrupted_run_resumes_like_an_uninterrupted_one(tmp_path: Path, interrupt, stopped_after: int) -> None:
    """An interrupt arrives while step 23's batch is being drawn; the run saves itself (a SIGINT, what Ctrl-C
    sends, lets the step finish first), and resuming it must give the same run as never stopping."""
    config = resume_config(False, "per-size")
    whole = tmp_path / "whole"
    Trainer(copy.deepcopy(config), whole, show_progress=False).run()

    parts = tmp_path / "parts"
    trainer = Trainer(copy.deepcopy(config), parts, show_progress=False)
    sample = trainer.task.sample

    def interrupted_sample(*args, **kwargs):
        if trainer.state.step == 22:
            interrupt()
        return sample(*args, **kwargs)

    trainer.task.sample = interrupted_sample  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    assert trainer.state.step == stopped_after
    assert (parts / "last" / "trainer_state.pt").is_file()
    Trainer(copy.deepcopy(config), parts, resume=True, show_progress=False).run()

    expected, actual = read_weights(whole / "last"), read_weights(parts / "last")
    for name in expected:
        assert torch.equal(expected[name], actual[name]), name
    assert metrics_without_timing(whole) == metrics_without_timing(parts)


def test_init_from_starts_from_the_trained_weights(learned_parity: Path, tmp_path: Path) -> None:
    config = RunConfig.from_dict(LEARNING_RUN)
    config.train.init_from = str(learned_parity)
    started = Trainer(config, tmp_path / "run", show_progress=False).model.state_dict()
    fresh = Trainer(RunConfig.from_dict(LEARNING_RUN), tmp_path / "fresh", show_progress=False).model.state_dict()
    trained = read_weights(learned_parity / "best")
    assert all(torch.equal(started[name], trained[name]) for name in trained)
    assert not all(torch.equal(fresh[name], trained[name]) for name in trained)


def test_resume_without_a_checkpoint_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LoopedError, match="cannot be resumed"):
        Trainer(resume_config(False, "per-size"), tmp_path / "fresh", resume=True, show_progress=False)


def restarting_config() -> RunConfig:
    """resume_config's run with a curriculum to 20, which 12 steps cannot complete: two restarts, then 40 steps."""
    config = resume_config(True, "per-size")
    config.curriculum.max_length = 20
    config.train.restart_after, config.train.max_restarts = 12, 2
    return config


def test_a_run_whose_curriculum_is_incomplete_restarts_from_fresh_weights(tmp_path: Path) -> None:
    config = restarting_config()
    run = tmp_path / "run"
    summary = Trainer(copy.deepcopy(config), run, show_progress=False).run()
    assert summary["restarts"] == 2 and summary["steps"] == 40
    assert len(summary["abandoned_at_length"]) == 2 and max(summary["abandoned_at_length"]) < 20
    attempts = [read_metrics(run, f"metrics-attempt{k}.jsonl") for k in (0, 1)]
    for k, log in enumerate(attempts):
        assert log[-1] == {"step": 12, "restart": k + 1}
        assert max(r["step"] for r in log) == 12
    assert read_metrics(run)[0]["step"] == 5  # the last attempt's log starts again
    first_losses = [next(r["loss"] for r in log if "loss" in r) for log in attempts]
    assert first_losses[0] != first_losses[1]  # other weights, other data

    # The first attempt is the run without restarts, step for step.
    config.train.restart_after = 0
    Trainer(config, tmp_path / "plain", show_progress=False).run(until=12)
    assert metrics_without_timing(tmp_path / "plain") == metrics_without_timing(run, "metrics-attempt0.jsonl")[:-1]


@pytest.mark.parametrize("stop_at", [5, 13], ids=["in-the-first-attempt", "after-two-restarts"])
def test_a_restarting_run_resumes_like_an_uninterrupted_one(tmp_path: Path, stop_at: int) -> None:
    config = restarting_config()
    whole = Trainer(copy.deepcopy(config), tmp_path / "whole", show_progress=False).run()
    Trainer(copy.deepcopy(config), tmp_path / "parts", show_progress=False).run(until=stop_at)
    resumed = Trainer(copy.deepcopy(config), tmp_path / "parts", resume=True, show_progress=False).run()
    assert resumed["restarts"] == whole["restarts"] == 2
    expected, actual = read_weights(tmp_path / "whole" / "last"), read_weights(tmp_path / "parts" / "last")
    assert all(torch.equal(expected[name], actual[name]) for name in expected)
    for log in ("metrics.jsonl", "metrics-attempt0.jsonl", "metrics-attempt1.jsonl"):
        assert metrics_without_timing(tmp_path / "whole", log) == metrics_without_timing(tmp_path / "parts", log), log


# --- curricula ----------------------------------------------------------------------------------------------------


def test_fixed_curriculum_grows_every_interval() -> None:
    curriculum = Curriculum(CurriculumConfig(kind="fixed", min_length=1, start_length=2, max_length=5, interval=10))
    assert curriculum.current_max == 2 and not curriculum.complete
    grown = [step for step in range(1, 61) if curriculum.update(step)]
    assert grown == [10, 20, 30]
    assert curriculum.current_max == 5
    assert curriculum.complete and curriculum.completed_at == 30
    assert not any(curriculum.due_for_check(step) for step in range(1, 100))


def test_fixed_curriculum_ignores_accuracy() -> None:
    curriculum = Curriculum(CurriculumConfig(kind="fixed", max_length=5, interval=10))
    assert not curriculum.update(3, accuracy_at_max=1.0)
    assert curriculum.current_max == 1


def test_adaptive_curriculum_grows_on_accuracy() -> None:
    config = CurriculumConfig(kind="adaptive", min_length=1, start_length=1, max_length=3, threshold=0.9, check_every=5)
    curriculum = Curriculum(config)
    assert [s for s in range(1, 21) if curriculum.due_for_check(s)] == [5, 10, 15, 20]
    assert not curriculum.update(5, None)
    assert not curriculum.update(10, 0.89)
    assert curriculum.current_max == 1
    assert curriculum.update(15, 0.9)  # reaching the threshold is enough
    assert curriculum.current_max == 2 and not curriculum.complete
    assert not curriculum.update(20)  # no reading, no growth, whatever the step
    assert curriculum.update(25, 1.0)
    assert curriculum.current_max == 3 and curriculum.completed_at == 25
    assert not curriculum.update(30, 1.0)
    assert curriculum.current_max == 3
    assert not curriculum.due_for_check(30)


def test_curriculum_sizes_stay_in_range() -> None:
    curriculum = Curriculum(CurriculumConfig(kind="fixed", min_length=2, start_length=4, max_length=9))
    rng = np.random.default_rng(0)
    sizes = curriculum.sample_sizes(2000, rng)
    assert set(sizes.tolist()) == {2, 3, 4}
    assert {curriculum.sample_size(rng) for _ in range(300)} == {2, 3, 4}


def test_curriculum_without_focus_draws_the_stream_of_one_vectorised_draw() -> None:
    """So that runs made before `focus` existed reproduce and resume unchanged."""
    curriculum = Curriculum(CurriculumConfig(min_length=2, start_length=7, max_length=9))
    drawn = curriculum.sample_sizes(500, np.random.default_rng(4))
    np.testing.assert_array_equal(drawn, np.random.default_rng(4).integers(2, 8, size=500))


@pytest.mark.parametrize("focus", [0.0, 0.5, 1.0])
def test_curriculum_focus_draws_that_share_at_the_current_maximum(focus: float) -> None:
    """Sizes 2..5: uniform gives each 1/4; focus f gives the maximum f + (1 - f) / 4 and each other (1 - f) / 4."""
    curriculum = Curriculum(CurriculumConfig(min_length=2, start_length=5, max_length=9, focus=focus))
    rng = np.random.default_rng(0)
    for sizes in (curriculum.sample_sizes(20000, rng), np.array([curriculum.sample_size(rng) for _ in range(20000)])):
        assert set(sizes.tolist()) <= {2, 3, 4, 5}
        shares = np.bincount(sizes, minlength=6)[2:] / len(sizes)
        expected = np.full(4, (1 - focus) / 4)
        expected[-1] += focus
        np.testing.assert_allclose(shares, expected, atol=0.015)


def test_curriculum_state_round_trip() -> None:
    config = CurriculumConfig(kind="fixed", max_length=4, interval=2)
    curriculum = Curriculum(config)
    for step in range(1, 7):
        curriculum.update(step)
    restored = Curriculum(config)
    restored.load_state_dict(curriculum.state_dict())
    assert (restored.current_max, restored.completed_at) == (4, 6)
    assert restored.complete


def test_curriculum_starting_at_its_maximum_is_complete() -> None:
    curriculum = Curriculum(CurriculumConfig(start_length=4, max_length=4))
    assert curriculum.complete and curriculum.completed_at == 0
    assert not curriculum.update(1, 1.0)


@pytest.mark.parametrize(
    "options",
    [
        {"min_length": 0},
        {"min_length": 3, "start_length": 2},
        {"start_length": 5, "max_length": 4},
        {"interval": 0},
        {"check_every": 0},
        {"check_samples": 0},
        {"threshold": 0.0},
        {"threshold": 1.5},
        {"focus": -0.1},
        {"focus": 1.5},
    ],
)
def test_curriculum_config_validation(options: dict) -> None:
    with pytest.raises(ValueError):
        CurriculumConfig(**options)


# --- learning-rate schedule ---------------------------------------------------------------------------------------


def test_schedule_warm_up_constant_cosine() -> None:
    base, warmup, start, decay = 1e-3, 10, 50, 40
    rates = [learning_rate(step, base, warmup, start, decay) for step in range(1, 121)]
    # Linear warm-up to the base rate.
    for step in range(1, warmup + 1):
        assert rates[step - 1] == pytest.approx(base * step / warmup)
    assert np.all(np.diff(rates[:warmup]) > 0)
    # Constant until the decay starts.
    assert all(r == pytest.approx(base) for r in rates[warmup - 1 : start])
    # Cosine to zero over `decay` steps, half-way at the middle, then zero.
    for step in range(start + 1, start + decay + 1):
        progress = (step - start) / decay
        assert rates[step - 1] == pytest.approx(base * 0.5 * (1 + math.cos(math.pi * progress)))
    assert rates[start + decay // 2 - 1] == pytest.approx(base / 2)
    assert np.all(np.diff(rates[start - 1 : start + decay]) < 0)
    assert rates[start + decay - 1] == pytest.approx(0.0, abs=1e-15)
    assert all(r == pytest.approx(0.0, abs=1e-15) for r in rates[start + decay - 1 :])


def test_schedule_without_decay_or_warm_up() -> None:
    assert [learning_rate(s, 0.5, 0, None, 10) for s in (1, 100, 10_000)] == [0.5, 0.5, 0.5]
    assert learning_rate(5, 1.0, 10, None, 10) == pytest.approx(0.5)


def test_best_model_is_one_trained_on_every_length_once_there_is_one(tmp_path: Path, monkeypatch) -> None:
    trainer = Trainer(resume_config(False, "per-size"), tmp_path / "run", show_progress=False)
    # (step, the curriculum's completion step by then, the validation score of that step's model)
    checks = [(10, None, 0.2), (20, None, 0.6), (30, 30, 0.1), (40, 30, 0.3), (50, 30, 0.05)]
    scores = iter(score for *_, score in checks)
    monkeypatch.setattr(
        "looped.training.trainer.accuracy_by_length",
        lambda *args, **kwargs: {"lengths": [5], "rules": {"oracle": {"accuracy": [next(scores)]}}},
    )
    kept = []
    for step, completed_at, _ in checks:
        trainer.state.step, trainer.curriculum.completed_at = step, completed_at
        trainer.validate()
        kept.append(json.loads((tmp_path / "run" / "best" / "config.json").read_text())["step"])
    # the better early model (0.6) gives way to the first model trained on every length, however it scores
    assert kept == [10, 20, 30, 40, 40]
    assert (trainer.state.best_step, trainer.state.best_score) == (40, 0.3)


def test_trainer_decays_after_the_curriculum_or_in_time_for_max_steps(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    trainer = Trainer(config, tmp_path / "run", show_progress=False)
    assert trainer.decay_start() == config.train.max_steps - config.train.decay_steps
    trainer.curriculum.completed_at = 7
    assert trainer.decay_start() == 7
    trainer.state.step = 7 + config.train.decay_steps
    assert trainer.finished()
    trainer.state.step -= 1
    assert not trainer.finished()


def test_logged_learning_rates_follow_the_schedule(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    config.curriculum = CurriculumConfig(kind="fixed", max_length=2, interval=1000)  # never completes
    config.train.log_every = 1
    Trainer(config, tmp_path / "run", show_progress=False).run()
    records = read_metrics(tmp_path / "run")
    logged = {r["step"]: r["lr"] for r in records if "lr" in r}
    train = config.train
    assert sorted(logged) == list(range(1, train.max_steps + 1))
    start = train.max_steps - train.decay_steps
    for step, lr in logged.items():
        assert lr == pytest.approx(learning_rate(step, train.lr, train.warmup_steps, start, train.decay_steps))
    assert logged[train.max_steps] == pytest.approx(0.0, abs=1e-12)


def test_the_rate_is_cut_while_the_curriculum_stalls_and_not_once_it_is_complete(tmp_path: Path) -> None:
    config = resume_config(False, "per-size", lr_stall_steps=6)
    config.curriculum = CurriculumConfig(kind="fixed", max_length=4, interval=10)  # grows at 10, 20; done at 30
    config.train.log_every = 1
    Trainer(config, tmp_path / "run", show_progress=False).run()
    records = read_metrics(tmp_path / "run")
    cuts = {r["step"]: r["lr_scale"] for r in records if "lr_scale" in r}
    assert cuts == {6: 0.5, 16: 0.25, 26: 0.125}  # 6 steps after the start and after each growth
    train = config.train
    start = train.max_steps - train.decay_steps  # before the curriculum completes at 30
    for record in (r for r in records if "lr" in r):
        step = record["step"]
        scale = 0.5 ** sum(step > cut for cut in cuts)
        expected = learning_rate(step, scale * train.lr, train.warmup_steps, start, train.decay_steps)
        assert record["lr"] == pytest.approx(expected)


def test_logged_check_accuracy_is_what_grew_the_curriculum(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    summary = Trainer(config, tmp_path / "run", show_progress=False).run()
    records = read_metrics(tmp_path / "run")
    logged = [r for r in records if "loss" in r]
    checked = [r for r in logged if "check_accuracy" in r]
    growth = [r for r in records if set(r) == {"step", "curriculum_max"}]
    grew = {r["step"] for r in growth}
    assert grew and checked
    assert summary["curriculum_reached_at"] == {r["curriculum_max"]: r["step"] for r in growth}
    seconds = summary["curriculum_reached_after_seconds"]
    assert list(seconds) == list(summary["curriculum_reached_at"])
    assert list(seconds.values()) == sorted(seconds.values()) and max(seconds.values()) <= summary["train_seconds"]
    for record in checked:
        assert (record["check_accuracy"] >= config.curriculum.threshold) == (record["step"] in grew)
    completed = max(grew)  # no checks once the curriculum is complete
    assert [r["step"] for r in checked] == [r["step"] for r in logged if r["step"] <= completed]


def test_an_average_that_steers_the_curriculum_is_what_the_checks_measure(tmp_path: Path) -> None:
    # The average starts as the weights after step 1 and, at this decay, stays there; the raw weights move on.
    steered = resume_config(False, "per-size")
    steered.train.ema_decay, steered.train.ema_steers_curriculum = 1 - 1e-9, True
    first_step = Trainer(copy.deepcopy(steered), tmp_path / "first", show_progress=False)
    first_step.run(until=1)
    summaries = {
        "steered": Trainer(copy.deepcopy(steered), tmp_path / "steered", show_progress=False).run(),
        "raw": Trainer(resume_config(False, "per-size"), tmp_path / "raw", show_progress=False).run(),
    }

    def checks(run: str) -> dict[int, tuple[int, float]]:
        """{step: (the length checked, the accuracy logged)}; a check that grows the curriculum checked the old one."""
        reached = summaries[run]["curriculum_reached_at"].items()
        start = steered.curriculum.start_length
        return {
            r["step"]: (max([n for n, at in reached if at < r["step"]], default=start), r["check_accuracy"])
            for r in read_metrics(tmp_path / run)
            if "check_accuracy" in r
        }

    samples, task = steered.curriculum.check_samples, get_task("parity")
    for step, (length, accuracy) in checks("steered").items():
        batches = fresh_batches(task, length, samples, samples, steered.seed + step, "cpu")
        assert accuracy == evaluate_rule(first_step.eval_model, batches, Oracle(), first_step.method)[0], step
    assert checks("raw") != checks("steered")
    with pytest.raises(ValueError, match="needs an average"):
        TrainConfig(ema_steers_curriculum=True)


def test_the_stall_cuts_stop_at_the_floor(tmp_path: Path) -> None:
    config = resume_config(False, "per-size", lr_stall_steps=6)
    config.curriculum = CurriculumConfig(kind="fixed", max_length=4, interval=10)
    config.train.lr_stall_floor = 0.3
    config.train.log_every = 1
    Trainer(config, tmp_path / "run", show_progress=False).run()
    records = read_metrics(tmp_path / "run")
    assert {r["step"]: r["lr_scale"] for r in records if "lr_scale" in r} == {6: 0.5, 16: 0.3}
    train = config.train
    start = train.max_steps - train.decay_steps
    late = next(r for r in records if r.get("step") == 29 and "lr" in r)
    assert late["lr"] == pytest.approx(learning_rate(29, 0.3 * train.lr, train.warmup_steps, start, train.decay_steps))


def test_data_options_change_the_training_examples_and_nothing_measured(tmp_path: Path) -> None:
    config = RunConfig(task="unique_set", model=ModelConfig(d_model=16, n_heads=2))
    config.curriculum = CurriculumConfig(min_length=8, start_length=8, max_length=8)
    config.train = TrainConfig(batch_size=512, data_options={"alphabet": "varied"})
    trainer = Trainer(config, tmp_path / "run", show_progress=False)
    assert (trainer.task.alphabet, trainer.data_task.alphabet) == ("full", "varied")
    distinct = [
        float(np.mean([len(set(row[:8].tolist())) for row in b.inputs]))
        for b in (trainer.next_batch()[0], get_task("unique_set").sample(8, 512, np.random.default_rng(0)))
    ]
    # means over the alphabet size k of k (1 - (1 - 1/k)^8): 6.39 for k uniform over 1..50, 7.46 for k = 50
    assert distinct[0] == pytest.approx(6.39, abs=0.3) and distinct[1] == pytest.approx(7.46, abs=0.15)
    with pytest.raises(LoopedError, match="train.data_options: unique_set: alphabet must be"):
        Trainer(RunConfig.from_dict({**config.to_dict(), "train": {"data_options": {"alphabet": "x"}}}), tmp_path / "b")


def test_train_config_validation() -> None:
    bad = ({"max_steps": 0}, {"lr": 0.0}, {"warmup_steps": -1}, {"ema_decay": 1.0}, {"val_lengths": []})
    out_of_range = ({"label_smoothing": 1.0}, {"label_smoothing": -0.1}, {"adam_beta2": 1.0}, {"adam_beta2": 0.0})
    stall = ({"lr_stall_steps": -1}, {"lr_stall_factor": 0.0}, {"lr_stall_factor": 1.5})
    floor = ({"lr_stall_floor": -0.1}, {"lr_stall_floor": 1.5})
    for options in (
        *bad,
        *out_of_range,
        *stall,
        *floor,
        {"left_fillers": -1},
        {"right_fillers": -1},
        {"unsure_weight": -0.1},
        {"supervised_multiples": [3, 1]},
    ):
        with pytest.raises(ValueError):
            TrainConfig(**options)


# --- the loss -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def copy_task():
    return get_task("copy")


@pytest.fixture(scope="module")
def loss_model(copy_task):
    return scrambled_model(ModelConfig(d_model=16, n_heads=2, n_layers=1, mlp_ratio=2), copy_task.vocab_size, seed=7)


def per_size_expectation(model, batch, steps_of_row: torch.Tensor) -> torch.Tensor:
    """Token-weighted mean of per-group losses, each group of rows read out by model(x, T) at its own step."""
    total, count = torch.zeros(()), 0
    for steps in sorted(set(steps_of_row.tolist())):
        rows = steps_of_row == steps
        logits = model(batch.inputs[rows], steps)
        tokens = int(batch.loss_mask[rows].sum())
        mean = F.cross_entropy(logits.flatten(0, 1), batch.targets[rows].flatten())  # IGNORE skipped
        total = total + mean * tokens
        count += tokens
    return total / count


@torch.no_grad()
def test_loss_reads_each_example_at_its_own_steps(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([1, 2, 2, 3, 5, 5, 5, 4]), np.random.default_rng(1))
    loss = looped_loss(loss_model, batch, Supervision([batch.steps]))
    expected = per_size_expectation(loss_model, batch, batch.steps)
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    # Sensitive: reading everyone at the largest step is a different number.
    everyone_at_max = per_size_expectation(loss_model, batch, torch.full_like(batch.steps, int(batch.steps.max())))
    assert not torch.allclose(loss, everyone_at_max, rtol=1e-3)


@torch.no_grad()
def test_loss_with_extra_supervision_averages_every_read_out(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([1, 2, 3, 3, 4]), np.random.default_rng(2))
    supervise_at = supervision_steps(batch, 3)
    assert [(s - batch.steps).unique().tolist() for s in supervise_at] == [[0], [1], [2], [3]]
    loss = looped_loss(loss_model, batch, Supervision(supervise_at))
    read_outs = [per_size_expectation(loss_model, batch, steps) for steps in supervise_at]
    torch.testing.assert_close(loss, sum(read_outs) / 4, rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_loss_horizon_past_the_last_supervised_step_changes_nothing(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([1, 2, 3]), np.random.default_rng(4))
    expected = looped_loss(loss_model, batch, Supervision([batch.steps]))
    for horizon in (1, 3, 8):
        torch.testing.assert_close(
            looped_loss(loss_model, batch, Supervision([batch.steps]), horizon), expected, rtol=0, atol=0
        )


@torch.no_grad()
def test_loss_at_multiples_of_t_reads_out_after_m_times_as_many_steps(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([1, 2, 3, 3]), np.random.default_rng(3))
    supervise_at = supervision_steps(batch, 1, multiples=[3])
    assert [s.tolist() for s in supervise_at] == [[1, 2, 3, 3], [2, 3, 4, 4], [3, 6, 9, 9]]
    loss = looped_loss(loss_model, batch, Supervision(supervise_at))
    read_outs = [per_size_expectation(loss_model, batch, steps) for steps in supervise_at]
    torch.testing.assert_close(loss, sum(read_outs) / 3, rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_the_unsure_term_is_the_mean_kl_from_uniform_of_every_answer_token_read_before_t(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([1, 2, 3, 3, 4]), np.random.default_rng(5))
    plain = looped_loss(loss_model, batch, Supervision([batch.steps]))
    total, count = 0.0, 0
    for row, steps in enumerate(batch.steps.tolist()):
        answer = batch.targets[row] != IGNORE
        for step in range(1, steps):  # by hand: the model run for `step` iterations on this row alone
            probs = torch.softmax(loss_model(batch.inputs[row : row + 1], step)[0], dim=-1)[answer]
            uniform = torch.full_like(probs, 1 / probs.shape[-1])
            total += float((uniform * (uniform / probs).log()).sum())
            count += int(answer.sum())
    assert count > 0
    for weight in (0.5, 2.0):
        loss = looped_loss(loss_model, batch, Supervision([batch.steps], unsure_weight=weight))
        torch.testing.assert_close(loss, plain + weight * total / count, rtol=1e-5, atol=1e-6)


def test_extra_supervision_starts_at_its_curriculum_length(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    config.train.extra_supervised_steps, config.train.extra_supervision_from = 3, 3
    config.train.supervised_multiples = [3]
    trainer = Trainer(config, tmp_path / "run", show_progress=False)
    trainer.curriculum.current_max = 2
    batch, supervision = trainer.next_batch()
    assert len(supervision.answer_steps) == 1 and torch.equal(supervision.answer_steps[0], batch.steps)
    assert supervision.halting_steps_past is None  # no halting head
    trainer.curriculum.current_max = 3
    batch, supervision = trainer.next_batch()
    offsets = [(s - batch.steps).unique().tolist() for s in supervision.answer_steps[:4]]
    assert offsets == [[0], [1], [2], [3]]
    assert len(supervision.answer_steps) == 5 and torch.equal(supervision.answer_steps[4], 3 * batch.steps)


@torch.no_grad()
def test_label_smoothing_mixes_in_the_mean_loss_over_the_vocabulary(copy_task, loss_model) -> None:
    batch = copy_task.sample_mixed(np.array([2, 3, 3, 4]), np.random.default_rng(5))
    smoothing = 0.2
    loss = looped_loss(loss_model, batch, Supervision([batch.steps], label_smoothing=smoothing))
    total = torch.zeros(())
    for row, steps in enumerate(batch.steps.tolist()):
        log_probs = torch.log_softmax(loss_model(batch.inputs[row : row + 1], steps)[0], dim=-1)
        for position in torch.nonzero(batch.loss_mask[row]).flatten().tolist():
            target = int(batch.targets[row, position])
            uniform = -log_probs[position].mean()
            total = total + (1 - smoothing) * -log_probs[position, target] + smoothing * uniform
    torch.testing.assert_close(loss, total / batch.loss_mask.sum(), rtol=1e-5, atol=1e-6)


def test_trainer_passes_label_smoothing_to_every_batch(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    config.train.label_smoothing = 0.1
    assert Trainer(config, tmp_path / "run", show_progress=False).next_batch()[1].label_smoothing == 0.1


def test_trainer_gives_adam_its_second_moment_decay(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    assert Trainer(config, tmp_path / "default", show_progress=False).optimizer.defaults["betas"] == (0.9, 0.999)
    config.train.adam_beta2 = 0.95
    assert Trainer(config, tmp_path / "run", show_progress=False).optimizer.defaults["betas"] == (0.9, 0.95)


def filler_batches(tmp_path: Path, **fillers: int) -> list[Batch]:
    """40 training batches of parity rows, n <= 4, drawn by a trainer with the given filler options."""
    trainer = Trainer(resume_config(False, "per-size", **fillers), tmp_path / "run", show_progress=False)
    trainer.curriculum.current_max = 4
    return [trainer.next_batch()[0] for _ in range(40)]


def test_trainer_puts_zero_to_left_fillers_pads_before_each_prompt(tmp_path: Path) -> None:
    pad, seen = get_task("parity").pad, set()
    for batch in filler_batches(tmp_path, left_fillers=3):
        fillers = int(batch.answer_start[0]) - int(batch.lengths[0])  # a parity prompt is its n bits
        seen.add(fillers)
        assert (batch.inputs[:, :fillers] == pad).all()
        assert not batch.loss_mask[:, : fillers + int(batch.lengths[0])].any()
        assert batch.inputs.shape[1] == fillers + int(batch.lengths[0]) + 2  # prompt, '=' / answer, end slot
    assert seen == {0, 1, 2, 3}


def test_trainer_appends_zero_to_right_fillers_supervised_end_slots(tmp_path: Path) -> None:
    pad, seen = get_task("parity").pad, set()
    for batch in filler_batches(tmp_path, right_fillers=3):
        n = int(batch.lengths[0])
        assert int(batch.answer_start[0]) == n  # the prompt and the answer stay where they were
        fillers = batch.inputs.shape[1] - (n + 2)  # prompt, '=' / answer, end slot
        seen.add(fillers)
        tail = slice(n + 1, None)  # the end slot and the fillers after it
        assert (batch.inputs[:, tail] == pad).all() and (batch.targets[:, tail] == pad).all()
        assert batch.loss_mask[:, n:].all() and not batch.loss_mask[:, :n].any()
    assert seen == {0, 1, 2, 3}


def test_supervision_steps_without_extra_is_t() -> None:
    batch = get_task("parity").sample(3, 4, np.random.default_rng(0))
    steps = supervision_steps(batch, 0)
    assert len(steps) == 1 and steps[0].tolist() == [3, 3, 3, 3]


def test_loss_gradient_reaches_every_parameter(copy_task, loss_model) -> None:
    model = copy.deepcopy(loss_model).train()
    batch = copy_task.sample_mixed(np.array([1, 3, 4]), np.random.default_rng(3))
    looped_loss(model, batch, Supervision([batch.steps])).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and bool(parameter.grad.abs().sum() > 0), name


# --- the halting head -------------------------------------------------------------------------------------------


def softplus(x: float) -> float:
    return float(np.log1p(np.exp(x)))  # -log sigmoid(-x): the binary cross-entropy of logit x for "no"


def test_halting_loss_at_t_weighs_the_one_yes_like_all_the_nos() -> None:
    logits = torch.tensor([[0.0, 2.0, -1.0, 7.0]])
    window = torch.tensor([[True, True, True, False]])
    expected = softplus(-2.0) + (softplus(0.0) + softplus(-1.0)) / 2  # step 2 yes; steps 1 and 3 no; 4 unjudged
    torch.testing.assert_close(halting_loss(logits, torch.tensor([2]), window, "at"), torch.tensor(expected))


def test_halting_loss_from_t_says_yes_at_every_step_from_t_in_the_window() -> None:
    logits = torch.tensor([[0.5, -1.0, 3.0, 1.0, -9.0], [2.0, 1.0, 0.0, 0.0, 0.0]])
    window = torch.tensor([[True, True, True, True, False], [True, True, True, True, True]])
    first = (softplus(-3.0) + softplus(-1.0)) / 2 + (softplus(0.5) + softplus(-1.0)) / 2  # T = 3; step 5 unjudged
    second = (softplus(-2.0) + softplus(-1.0) + 3 * softplus(0.0)) / 5  # T = 1: every step is a yes, no no's
    expected = torch.tensor((first + second) / 2)
    torch.testing.assert_close(halting_loss(logits, torch.tensor([3, 1]), window, "from"), expected)


@torch.no_grad()
def test_loss_with_a_halting_head_adds_the_weighted_halting_loss(copy_task) -> None:
    model = scrambled_model(ModelConfig(d_model=16, n_heads=2, halting_head=True), copy_task.vocab_size, seed=5)
    batch = copy_task.sample_mixed(np.array([1, 2, 3, 3]), np.random.default_rng(6))
    answer_only = looped_loss(model, batch, Supervision([batch.steps]))
    torch.testing.assert_close(answer_only, per_size_expectation(model, batch, batch.steps))
    states = [list(model.states(batch.inputs, t))[-1] for t in range(1, 6)]
    logits = torch.stack([model.halting(state, batch.loss_mask) for state in states], dim=1)
    window = torch.arange(1, 6) <= (batch.steps + 2).unsqueeze(1)
    for target in ("at", "from"):
        expected = answer_only + 0.5 * halting_loss(logits, batch.steps, window, target)
        supervision = Supervision([batch.steps], 2, 0.5, target)
        torch.testing.assert_close(looped_loss(model, batch, supervision), expected)


def test_halting_loss_trains_the_halting_head_and_the_loop(copy_task) -> None:
    model = scrambled_model(ModelConfig(d_model=16, n_heads=2, halting_head=True), copy_task.vocab_size, seed=5)
    batch = copy_task.sample_mixed(np.array([1, 3]), np.random.default_rng(6))
    model.train()
    halting_only = Supervision([batch.steps], 1, 1.0)
    (looped_loss(model, batch, halting_only) - looped_loss(model, batch, Supervision([batch.steps]))).backward()
    assert bool(model.halt.weight.grad.abs().sum() > 0)
    assert bool(model.layers[0].attn.qkv.weight.grad.abs().sum() > 0)  # the clock lives in the loop
    assert float(model.head.weight.grad.abs().max()) < 1e-6  # the answer read-out gets nothing from it (rounding)


def test_a_detached_halting_head_trains_the_head_alone(copy_task) -> None:
    model = scrambled_model(ModelConfig(d_model=16, n_heads=2, halting_head=True), copy_task.vocab_size, seed=5)
    batch = copy_task.sample_mixed(np.array([1, 3]), np.random.default_rng(6))
    model.train()
    detached = Supervision([batch.steps], 1, 1.0, "at", halting_detached=True)
    attached = Supervision([batch.steps], 1, 1.0, "at")
    with torch.no_grad():  # the same number either way
        torch.testing.assert_close(looped_loss(model, batch, detached), looped_loss(model, batch, attached))
    looped_loss(model, batch, detached).backward()
    answer_only = copy.deepcopy(model)
    answer_only.zero_grad()
    looped_loss(answer_only, batch, Supervision([batch.steps])).backward()
    assert bool(model.halt.weight.grad.abs().sum() > 0)
    for (name, parameter), (_, reference) in zip(model.named_parameters(), answer_only.named_parameters(), strict=True):
        if not name.startswith("halt"):  # the loop's gradients are the answer loss's alone
            torch.testing.assert_close(parameter.grad, reference.grad)


def test_trainer_supervises_the_halting_head_up_to_its_window_from_its_curriculum_length(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    config.model.halting_head, config.train.halting_steps_past, config.train.extra_supervision_from = True, 3, 4
    trainer = Trainer(config, tmp_path / "run", show_progress=False)
    trainer.curriculum.current_max = 3
    assert trainer.next_batch()[1].halting_steps_past is None  # not yet
    trainer.curriculum.current_max = 4
    assert trainer.next_batch()[1].halting_steps_past == 3


def test_a_halting_head_on_a_fixed_depth_baseline_is_an_error(tmp_path: Path) -> None:
    config = resume_config(False, "per-size")
    config.model.halting_head, config.method = True, "ntp"
    with pytest.raises(LoopedError, match="model.halting_head .* method 'ntp'"):
        Trainer(config, tmp_path / "run", show_progress=False)
    assert not (tmp_path / "run").exists()
