"""Shared fixtures: one CPU thread, tiny models, and two training runs built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from looped.cli import main as cli_main
from looped.config import RunConfig
from looped.model import LoopedModel, ModelConfig

# A run that learns parity up to n = 4 in about 1,000 short steps on one CPU thread: fixed curriculum
# (one more bit every 150 steps), then a cosine decay at n <= 4.
LEARNING_RUN = {
    "task": "parity",
    "seed": 1,
    "model": {"d_model": 32, "n_heads": 4, "n_layers": 1},
    "curriculum": {"kind": "fixed", "max_length": 4, "interval": 150},
    "train": {
        "max_steps": 1500,
        "batch_size": 64,
        "lr": 1e-3,
        "warmup_steps": 20,
        "decay_steps": 900,
        "eval_every": 250,
        "eval_samples": 200,
        "val_lengths": [4],
        "val_stopping": ["oracle"],
        "log_every": 50,
    },
}

# What the CLI end-to-end test trains: the brief's tiny command line (on top of configs/parity.yaml).
CLI_TRAIN_ARGS = [
    "--task", "parity",
    "--model.d_model", "32",
    "--curriculum.max_length", "3",
    "--train.max_steps", "30",
    "--train.eval_every", "15",
    "--train.decay_steps", "10",
    "--train.val_lengths", "[4]",
    "--progress", "false",
]  # fmt: skip


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def scrambled_model(config: ModelConfig, vocab_size: int = 6, seed: int = 0) -> LoopedModel:
    """A tiny model in eval mode whose weights are large enough that every input token and every
    iteration visibly changes the logits (the default init is nearly input-independent at first)."""
    torch.manual_seed(seed)
    model = LoopedModel(config, vocab_size)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() >= 2 and not name.startswith("embed"):
                parameter.normal_(0.0, 0.3)
            elif parameter.dim() == 1:
                parameter.normal_(0.0 if name.endswith("bias") else 1.0, 0.2)
    return model.eval()


@pytest.fixture(scope="session")
def learned_parity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run directory of a model trained with LEARNING_RUN (a few seconds)."""
    from looped.training.trainer import Trainer

    out = tmp_path_factory.mktemp("learned") / "run"
    Trainer(RunConfig.from_dict(LEARNING_RUN), out, show_progress=False).run()
    return out


@pytest.fixture(scope="session")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run directory written by `looped train` (in-process) with CLI_TRAIN_ARGS. Tests must not write into it."""
    out = tmp_path_factory.mktemp("cli") / "run"
    cli_main(["train", *CLI_TRAIN_ARGS, "--out", str(out)])
    return out
