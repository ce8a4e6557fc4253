"""Metrics sinks: a JSONL log always, TensorBoard scalars when asked for and installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from looped.errors import LoopedError


class MetricsLog:
    """Appends one JSON object per record; mirrors numeric fields to TensorBoard if enabled."""

    def __init__(self, folder: Path, tensorboard: bool = False) -> None:
        self.path = folder / "metrics.jsonl"
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                raise LoopedError("TensorBoard logging needs tensorboard: pip install 'looped[tensorboard]'") from None
            self.writer = SummaryWriter(log_dir=str(folder / "tensorboard"))

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as stream:
            stream.write(json.dumps(record) + "\n")
        if self.writer is not None:
            step = record["step"]
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)):
                    self.writer.add_scalar(key, value, step)
            self.writer.flush()

    def truncate_after(self, step: int) -> None:
        """On resume, drop records past the checkpoint so the log reads as one uninterrupted run."""
        if not self.path.exists():
            return
        kept = [line for line in self.path.read_text().splitlines() if json.loads(line)["step"] <= step]
        self.path.write_text("".join(line + "\n" for line in kept))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
