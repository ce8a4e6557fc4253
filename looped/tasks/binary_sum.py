"""Binary sum: the number of ones among n bits, in binary, least significant bit first. One loop iteration
per input bit. A count of zero is written "0" (the reference leaves it empty), so every answer is non-empty."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import Task


class BinarySum(Task):
    name = "binary_sum"
    symbols = ("0", "1", "=", "_")

    def steps(self, n: int) -> int:
        return n

    def answer_length(self, n: int) -> int:
        return n.bit_length()

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        bits = rng.integers(0, 2, size=(batch_size, n), dtype=np.int64)
        shifted = bits.sum(axis=1, keepdims=True) >> np.arange(self.answer_length(n))
        written = shifted > 0  # digits up to the highest one...
        written[:, 0] = True  # ...and always the first, so that zero reads "0"
        return bits, np.where(written, shifted & 1, self.pad)

    def parse(self, prompt: str) -> np.ndarray:
        return self.tokenize(prompt, alphabet=("0", "1"))

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids)

    def solve(self, prompt: str) -> str:
        self.parse(prompt)
        return format(prompt.count("1"), "b")[::-1]
