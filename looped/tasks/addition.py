"""Addition of two n-bit numbers; the sum keeps all n+1 bits, leading zero included.

The reference writes operands and sum most significant bit first. Then the carry, which starts at the least
significant bit, must flow against the causal order of the answer slots: each slot can attend only to the
more significant slots before it. `order="lsb"` writes the operands and the sum least significant bit first,
so that every slot can read the carry from the slot before it.
"""

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


ORDERS = ("msb", "lsb")  # bit order of operands and sum: most or least significant bit first


class Addition(Task):
    """`steps` picks T(n): the reference code reads out after n iterations, its paper's analysis needs n+1.
    `order` picks the bit order of the operands and the sum, typed prompts and answers included."""

    name = "addition"
    symbols = ("0", "1", "+", "=", "_")

    def __init__(self, steps: str = "n", order: str = "msb") -> None:
        if order not in ORDERS:
            raise ValueError(f"{self.name}: order must be one of {', '.join(map(repr, ORDERS))}; got {order!r}")
        self.extra_steps = step_offset(self.name, steps)
        self.order = order

    @property
    def lsb_step(self) -> int:
        """The slice step that reads the row's bits least significant first."""
        return 1 if self.order == "lsb" else -1

    def steps(self, n: int) -> int:
        return n + self.extra_steps

    def answer_length(self, n: int) -> int:
        return n + 1

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        a, b = rng.integers(0, 2, size=(2, batch_size, n), dtype=np.int64)  # in the row's bit order
        columns = np.zeros((batch_size, n + 1), dtype=np.int64)
        columns[:, :n] = (a + b)[:, :: self.lsb_step]
        plus = np.full((batch_size, 1), self.symbols.index("+"), dtype=np.int64)
        return np.concatenate([a, plus, b], axis=1), carry_through(columns)[:, :: self.lsb_step]

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
        n = self.size(self.parse(prompt))
        msb_step = -self.lsb_step  # int() and format() write the most significant bit first
        a, b = (int(operand[::msb_step], 2) for operand in prompt.strip().split("+"))
        return format(a + b, f"0{n + 1}b")[::msb_step]
