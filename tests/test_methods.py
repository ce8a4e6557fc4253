"""The baselines and the looped model behind one interface: build, train, predict, cached decoding, layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from looped.api import LoopedTransformer
from looped.config import RunConfig
from looped.evaluation import fresh_batches
from looped.methods import FixedDepth, get_method, method_names
from looped.methods.base import insert_columns, remove_columns
from looped.methods.fap_pause import with_pauses
from looped.methods.ntp import greedy_decode, next_token_rows, prompt_prefix
from looped.model import KVCache
from looped.tasks import IGNORE, get_task
from looped.training.trainer import Trainer

METHODS = ["looped", "looped-no-injection", "ntp", "ntp-pause", "ntp-looped", "fap-pause"]


def tiny_config(method: str, **train: object) -> RunConfig:
    return RunConfig.from_dict(
        {
            "task": "copy",
            "method": method,
            "model": {"d_model": 16, "n_heads": 2, "n_layers": 1, "mlp_ratio": 2},
            "curriculum": {"kind": "fixed", "max_length": 3, "interval": 2},
            "baseline_depth": 2,
            "baseline_loops": 3,
            "pause_tokens": 2,
            "train": {"max_steps": 5, "batch_size": 8, "eval_every": 5, "eval_samples": 8, "val_lengths": [4],
                      "log_every": 5, "decay_steps": 2, **train},
        }
    )  # fmt: skip


def scrambled(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Large random weights, so that every token visibly changes the output (the init is nearly flat)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() >= 2 and "embed" not in name:
                parameter.normal_(0.0, 0.3)
    return model.eval()


def test_registry() -> None:
    assert method_names() == sorted(METHODS)
    with pytest.raises(ValueError, match="unknown method 'nope'; choose from: fap-pause, looped"):
        get_method("nope")


def test_config_validates_baseline_sizes() -> None:
    for field, value in (("baseline_depth", 0), ("baseline_loops", 0), ("pause_tokens", -1)):
        with pytest.raises(ValueError, match=field):
            RunConfig(**{field: value})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("batching", ["per-size", "mixed"])
def test_every_method_trains_saves_loads_and_predicts(method: str, batching: str, tmp_path: Path) -> None:
    config = tiny_config(method, batching=batching)
    summary = Trainer(config, tmp_path / "run", show_progress=False).run()
    assert summary["steps"] == 5 and np.isfinite(summary["final_loss"])
    loaded = LoopedTransformer.from_pretrained(tmp_path / "run")
    assert loaded.method.name == method
    batch = fresh_batches(loaded.task, 4, 6, 6, seed=0, device="cpu")[0]
    rule = loaded.method.rules(["oracle"], 2)[0]
    prediction = loaded.method.predict(loaded.model, batch, rule)
    assert prediction.tokens.shape == batch.targets.shape
    expected_steps = {"looped": 4, "looped-no-injection": 4, "ntp-looped": 3}.get(method, 2)
    assert prediction.steps.tolist() == [expected_steps] * 6
    assert len(loaded.solve(["101", "1"], stopping="oracle")) == 2


def test_fixed_methods_are_evaluated_under_one_label() -> None:
    assert [r.name for r in get_method("ntp").rules(["oracle", "confidence"], 5)] == ["fixed-depth"]
    assert [r.name for r in get_method("looped").rules(["oracle", "confidence"], 5)] == ["oracle", "confidence"]
    with pytest.raises(TypeError):
        FixedDepth().predict(None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["ntp", "ntp-pause", "ntp-looped"])
@pytest.mark.parametrize(
    "model_options",
    [
        {},
        {"input_injection": False},
        {"attention_scale": "log"},
        {"start_token": True},
        {"token_shift": True},
        {"token_shift": True, "start_token": True},
    ],
)
def test_cached_decoding_equals_full_recomputation(method: str, model_options: dict[str, object]) -> None:
    config = tiny_config(method)
    for name, value in model_options.items():
        setattr(config.model, name, value)
    task = get_task("copy")
    model = scrambled(get_method(method).build(config, task))
    batch = task.sample(5, 7, np.random.default_rng(0))
    prefix = prompt_prefix(model, batch.inputs, int(batch.answer_start[0]))
    with torch.no_grad():
        cached = greedy_decode(model, prefix, 6, use_cache=True)
        assert torch.equal(cached, greedy_decode(model, prefix, 6, use_cache=False))
        # the logits too: prefill plus one cached step against one pass over the whole sequence
        full = torch.cat([prefix, cached], dim=1)
        cache = KVCache()
        model(full[:, :-2], cache)
        incremental = model(full[:, -2:], cache)
        torch.testing.assert_close(incremental, model(full)[:, -2:], rtol=1e-4, atol=1e-5)


def test_ntp_pause_rows_put_the_answer_after_the_pauses() -> None:
    config = tiny_config("ntp-pause")
    task = get_task("copy")
    model = get_method("ntp-pause").build(config, task)
    batch = task.sample(3, 2, np.random.default_rng(1))  # row: b b b = _ _ _ _
    tokens, targets = next_token_rows(model, batch)
    pause, equals = task.vocab_size, task.equals
    assert tokens.shape[1] == batch.inputs.shape[1] + 1 + 2
    assert (tokens[:, 3] == equals).all() and (tokens[:, 4:6] == pause).all()
    assert torch.equal(tokens[:, 6:9], batch.inputs[:, :3])  # the copied answer follows the pauses
    assert (targets[:, :5] == IGNORE).all()  # nothing before the last pause is a target, pauses never are
    assert torch.equal(targets[:, 5:8], batch.inputs[:, :3]) and (targets[:, 8] == task.pad).all()


def test_fap_pause_layout_and_mapping_back() -> None:
    config = tiny_config("fap-pause")
    task = get_task("copy")
    model = get_method("fap-pause").build(config, task)
    batch = task.sample_mixed(np.array([2, 3]), np.random.default_rng(2))
    paused = with_pauses(model, batch)
    for row in range(2):
        start = int(batch.answer_start[row])
        assert int(paused.answer_start[row]) == start + 2
        assert (paused.inputs[row, start : start + 2] == task.vocab_size).all()
        assert int(paused.inputs[row, start + 2]) == task.equals
        assert torch.equal(paused.targets[row, start + 2 :], batch.targets[row, start:])
    assert torch.equal(remove_columns(paused.inputs, batch.answer_start, 2), batch.inputs)


def test_insert_columns_at_each_rows_own_place() -> None:
    rows = torch.tensor([[1, 2, 3], [4, 5, 6]])
    inserted = insert_columns(rows, torch.tensor([0, 2]), 2, 9)
    assert inserted.tolist() == [[9, 9, 1, 2, 3], [4, 5, 9, 9, 6]]
