"""Length curricula: which input sizes a training step may draw, growing as training goes on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from looped.config import CurriculumConfig


@dataclass
class Curriculum:
    """The current maximum size and when it last grew. Its state is two integers, saved with checkpoints."""

    config: CurriculumConfig
    current_max: int = 0
    completed_at: int | None = None  # step at which the final maximum was reached

    def __post_init__(self) -> None:
        if self.current_max == 0:
            self.current_max = self.config.start_length
        if self.current_max >= self.config.max_length and self.completed_at is None:
            self.completed_at = 0

    @property
    def complete(self) -> bool:
        return self.completed_at is not None

    def sample_size(self, rng: np.random.Generator) -> int:
        if self.config.focus and rng.random() < self.config.focus:
            return self.current_max
        return int(rng.integers(self.config.min_length, self.current_max + 1))

    def sample_sizes(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` draws of `sample_size`: without focus, the same random stream as one vectorised draw."""
        return np.array([self.sample_size(rng) for _ in range(count)], dtype=np.int64)

    def due_for_check(self, step: int) -> bool:
        """Whether the adaptive rule wants an accuracy reading at the current maximum after this step."""
        return self.config.kind == "adaptive" and not self.complete and step % self.config.check_every == 0

    def update(self, step: int, accuracy_at_max: float | None = None) -> bool:
        """Grow the maximum if the rule says so after `step`; returns whether it grew."""
        if self.complete:
            return False
        if self.config.kind == "fixed":
            grow = step % self.config.interval == 0
        else:
            grow = accuracy_at_max is not None and accuracy_at_max >= self.config.threshold
        if grow:
            self.current_max += 1
            if self.current_max >= self.config.max_length:
                self.completed_at = step
        return grow

    def state_dict(self) -> dict[str, int | None]:
        return {"current_max": self.current_max, "completed_at": self.completed_at}

    def load_state_dict(self, state: dict[str, int | None]) -> None:
        self.current_max = int(state["current_max"])
        self.completed_at = state["completed_at"]
