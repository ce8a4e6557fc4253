"""The witness: a second answer a task defines, learned by a second read-out at T(n) and scored by confidence
stopping together with the answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import CLI_TRAIN_ARGS, scrambled_model
from test_cli import run_fails, run_ok, snapshot

from looped.model import ModelConfig
from looped.stopping import answer_confidence, get_stopping, step_confidence
from looped.tasks import IGNORE, get_task
from looped.training.loss import Supervision, looped_loss

WITNESS_ARGS = ["--task_options", "{steps: n+1, witness: complement}", "--model.witness_head", "true"]


def test_parity_witness_is_the_parity_of_the_zeros_in_the_answer_layout() -> None:
    task = get_task("parity", witness="complement")
    batch = task.sample(7, 50, np.random.default_rng(0))
    for bits, row, witness in zip(task.decode_prompts(batch), batch.targets, batch.witness_targets, strict=True):
        assert task.render(witness.tolist()) == str(bits.count("0") % 2)
        assert torch.equal(witness == IGNORE, row == IGNORE)  # same answer region: '=' slot and the end slot


def test_binary_sum_witness_counts_the_zeros() -> None:
    task = get_task("binary_sum", witness="complement")
    batch = task.sample(6, 40, np.random.default_rng(1))
    for bits, witness in zip(task.decode_prompts(batch), batch.witness_targets, strict=True):
        assert task.render(witness.tolist()) == format(bits.count("0"), "b")[::-1]


def test_without_the_option_there_is_no_witness() -> None:
    for name in ("parity", "copy", "addition", "unique_set"):
        task = get_task(name)
        batch = task.sample_mixed(np.array([2, 3, 3]), np.random.default_rng(2))
        assert not task.has_witness and bool((batch.witness_targets == IGNORE).all())


def test_mixed_sizes_keep_the_witness_aligned_with_the_answer() -> None:
    task = get_task("parity", witness="complement")
    batch = task.sample_mixed(np.array([2, 5, 5, 9]), np.random.default_rng(3))
    assert torch.equal(batch.witness_targets == IGNORE, batch.targets == IGNORE)
    for bits, start, witness in zip(task.decode_prompts(batch), batch.answer_start, batch.witness_targets, strict=True):
        assert int(witness[start]) == bits.count("0") % 2
        assert bool((witness[start + 1 :] == task.pad).all())


def test_unknown_witness_option_names_the_choices() -> None:
    with pytest.raises(ValueError, match="witness must be 'none' or 'complement'"):
        get_task("parity", witness="zeros")


@torch.no_grad()
def test_loss_averages_answer_and_witness_tokens() -> None:
    task = get_task("parity", witness="complement")
    model = scrambled_model(ModelConfig(d_model=16, n_heads=2, witness_head=True), task.vocab_size, seed=4)
    batch = task.sample(3, 8, np.random.default_rng(5))
    state = list(model.states(batch.inputs, 3))[-1]
    answer = F.cross_entropy(model.head(state).flatten(0, 1), batch.targets.flatten(), reduction="sum")
    witness = F.cross_entropy(model.witness(state).flatten(0, 1), batch.witness_targets.flatten(), reduction="sum")
    tokens = int((batch.targets != IGNORE).sum()) + int((batch.witness_targets != IGNORE).sum())
    expected = (answer + witness) / tokens
    torch.testing.assert_close(looped_loss(model, batch, Supervision([batch.steps])), expected)


@torch.no_grad()
def test_per_example_confidence_minimises_answer_plus_witness_loss() -> None:
    task = get_task("parity", witness="complement")
    model = scrambled_model(ModelConfig(d_model=16, n_heads=2, witness_head=True), task.vocab_size, seed=6)
    batch = task.sample(4, 30, np.random.default_rng(7))
    extra = 5
    states = list(model.states(batch.inputs, 4 + extra))
    mask = batch.loss_mask.float()
    scores = torch.stack(
        [answer_confidence(model.head(s), mask) + answer_confidence(model.witness(s), mask) for s in states], dim=1
    )
    torch.testing.assert_close(step_confidence(model, states[2], batch)[1], scores[:, 2])
    prediction = get_stopping(f"confidence-per-example:{extra}").predict(model, batch)
    assert torch.equal(prediction.steps, scores.argmin(dim=1) + 1)
    answer_only = torch.stack([answer_confidence(model.head(s), mask) for s in states], dim=1).argmin(dim=1) + 1
    assert not torch.equal(prediction.steps, answer_only)  # the witness changes the choice on this model


def test_train_and_eval_with_a_witness_head(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_ok(capsys, ["train", *CLI_TRAIN_ARGS, *WITNESS_ARGS, "--out", str(run)])
    out = tmp_path / "eval"
    argv = ["eval", "--checkpoint", str(run), "--lengths", "3", "--stopping", "oracle,confidence-per-example"]
    run_ok(capsys, [*argv, "--samples", "20", "--profile", "3", "--profile_steps", "7", "--out", str(out)])
    profile = json.loads((out / "steps_3.json").read_text())
    assert profile["oracle_steps"] == 4  # T(n) = n + 1
    assert len(profile["witness_accuracy"]) == 7 and all(0 <= a <= 1 for a in profile["witness_accuracy"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model.witness_head", "true"], "--task_options '{witness: complement}'"),
        ([*WITNESS_ARGS, "--method", "ntp"], "drop --model.witness_head"),
        (["--task_options", "{witness: zeros}"], "witness must be 'none' or 'complement'"),
    ],
)
def test_bad_witness_settings_fail_with_one_line(
    capsys: pytest.CaptureFixture, tmp_path: Path, extra: list[str], message: str
) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    before = snapshot(tmp_path)
    line = run_fails(capsys, ["train", *CLI_TRAIN_ARGS, *extra, "--out", str(tmp_path / "run")])
    assert message in line
    assert snapshot(tmp_path) == before
