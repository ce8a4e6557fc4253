"""Model folders (safetensors weights + JSON config) and resumable training state, all written atomically.

A model folder is what `from_pretrained`, `looped eval` and `looped predict` read; a run directory holds
`best/` and `last/` model folders, the latter with the full training state for `--resume`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from looped.config import RunConfig
from looped.errors import LoopedError

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
TRAINER_STATE = "trainer_state.pt"
FORMAT_VERSION = 1


def ensure_folder(folder: Path) -> None:
    """Create an output folder, or say clearly why it cannot be one."""
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise LoopedError(f"{parent} is a file, not a folder; choose another output location")
    folder.mkdir(parents=True, exist_ok=True)


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write through a temporary file in the same folder, then rename: a crash never leaves half a file."""
    ensure_folder(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes owner-only files; results and models are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n"))


def save_model_folder(folder: Path, model: torch.nn.Module, config: RunConfig, extra: dict | None = None) -> None:
    """Weights and the config needed to rebuild the model (task, method, architecture)."""
    state = {name: tensor.detach().contiguous().cpu() for name, tensor in model.state_dict().items()}
    atomic_write(folder / WEIGHTS, lambda tmp: save_file(state, tmp))
    write_json(folder / CONFIG, {"format_version": FORMAT_VERSION, **config.to_dict(), **(extra or {})})


def resolve_model_folder(path: Path) -> Path:
    """Accept a model folder or a run directory (whose best model is used)."""
    path = Path(path)
    if not path.exists():
        raise LoopedError(f"checkpoint {path} does not exist; pass a run directory or a folder with {CONFIG}")
    for candidate in (path, path / "best"):
        if (candidate / CONFIG).is_file() and (candidate / WEIGHTS).is_file():
            return candidate
    raise LoopedError(f"{path} holds no {CONFIG} + {WEIGHTS}; pass a run directory or a model folder")


def read_model_folder(path: Path) -> tuple[RunConfig, dict[str, torch.Tensor], dict[str, Any]]:
    """(run config, weights, the rest of config.json); corrupt files give a LoopedError naming the file."""
    folder = resolve_model_folder(path)
    try:
        raw = json.loads((folder / CONFIG).read_text())
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object")
        extra = {k: raw.pop(k) for k in list(raw) if k not in RunConfig.__dataclass_fields__}
        config = RunConfig.from_dict(raw)
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise LoopedError(f"{folder / CONFIG} is not a valid looped config ({error}); re-save the model") from None
    try:
        weights = load_file(folder / WEIGHTS)
    except (SafetensorError, OSError, ValueError) as error:
        raise LoopedError(f"{folder / WEIGHTS} is corrupt or unreadable ({error}); use another checkpoint") from None
    return config, weights, extra


def save_trainer_state(folder: Path, state: dict[str, Any]) -> None:
    atomic_write(folder / TRAINER_STATE, lambda tmp: torch.save(state, tmp))


def load_trainer_state(folder: Path) -> dict[str, Any]:
    path = folder / TRAINER_STATE
    if not path.is_file():
        raise LoopedError(f"{path} is missing: this run cannot be resumed; start a new run with another --out")
    try:
        return torch.load(path, weights_only=False)
    except Exception as error:  # torch raises many types for a damaged pickle
        raise LoopedError(f"{path} is corrupt ({error.__class__.__name__}); start a new run") from None
