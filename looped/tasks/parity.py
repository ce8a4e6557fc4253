"""Parity: the XOR of n bits. One loop iteration per input bit."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import Task


class Parity(Task):
    name = "parity"
    symbols = ("0", "1", "=", "_")

    def steps(self, n: int) -> int:
        return n

    def answer_length(self, n: int) -> int:
        return 1

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bits = rng.integers(0, 2, size=(batch_size, n), dtype=np.int64)
        return bits, bits.sum(axis=1, keepdims=True) % 2

    def parse(self, prompt: str) -> np.ndarray:
        return self.tokenize(prompt, alphabet=("0", "1"))

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids)

    def solve(self, prompt: str) -> str:
        self.parse(prompt)
        return str(prompt.strip().count("1") % 2)
