"""Device selection with clear errors, and the CPU thread count."""

from __future__ import annotations

import torch

from looped.errors import LoopedError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA, then MPS, then the CPU; a named device must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise LoopedError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise LoopedError(f"unsupported device {name!r}; use auto, cpu, cuda, cuda:N or mps")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise LoopedError(f"device {name!r} is not available here (no CUDA GPU); use --device cpu or auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise LoopedError(f"device {name!r} does not exist: {torch.cuda.device_count()} CUDA device(s) found")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise LoopedError(f"device {name!r} is not available here; use --device cpu or auto")
    return device


def set_threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise LoopedError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)
