"""Addition of two n-bit numbers, most significant bit first; the sum keeps all n+1 bits, leading zero included."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import PromptError, Task, step_offset


def carry_through(columns: np.ndarray) -> np.ndarray:
    """Bits, least significant first, of the sum over i of columns[:, i] * 2**i: one bit per column.

    Working on bit arrays keeps every n exact (no int64 overflow); the loop runs over positions, not
    examples. The caller leaves enough columns for the final carry.
    """
    bits = np.empty_like(columns)
    carry = np.zeros(len(columns), dtype=columns.dtype)
    for i in range(columns.shape[1]):
        total = columns[:, i] + carry
        bits[:, i] = total & 1
        carry = total >> 1
    return bits


class Addition(Task):
    """`steps` picks T(n): the reference code reads out after n iterations, its paper's analysis needs n+1."""

    name = "addition"
    symbols = ("0", "1", "+", "=", "_")

    def __init__(self, steps: str = "n") -> None:
        self.extra_steps = step_offset(self.name, steps)

    def steps(self, n: int) -> int:
        return n + self.extra_steps

    def answer_length(self, n: int) -> int:
        return n + 1

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        a, b = rng.integers(0, 2, size=(2, batch_size, n), dtype=np.int64)
        columns = np.zeros((batch_size, n + 1), dtype=np.int64)
        columns[:, :n] = (a + b)[:, ::-1]
        plus = np.full((batch_size, 1), self.symbols.index("+"), dtype=np.int64)
        return np.concatenate([a, plus, b], axis=1), carry_through(columns)[:, ::-1]

    def parse(self, prompt: str) -> np.ndarray:
        ids = self.tokenize(prompt, alphabet=("0", "1", "+"))
        operands = prompt.strip().split("+")
        if len(operands) != 2:
            raise PromptError(f"addition: expected one '+' operator between two operands; got {len(operands) - 1}")
        a, b = operands
        if not a or len(a) != len(b):
            raise PromptError(
                f"addition: operands must be non-empty and of equal length; got {len(a)} and {len(b)} bits"
            )
        return ids

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids) // 2

    def solve(self, prompt: str) -> str:
        self.parse(prompt)
        a, b = prompt.strip().split("+")
        return format(int(a, 2) + int(b, 2), f"0{len(a) + 1}b")
