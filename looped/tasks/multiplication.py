"""Multiplication of a 1- or 2-bit number a by an n-bit number b (both most significant bit first); the
product is written as len(a)+n bits, least significant first. T = len(a)·n."""

from __future__ import annotations

import numpy as np

from looped.tasks.addition import carry_through
from looped.tasks.base import Batch, PromptError, Task

WIDTHS = (1, 2)  # allowed first-operand widths


class Multiplication(Task):
    """`first_operand_bits` fixes len(a) to 1 or 2; None draws it per batch, so that a batch still shares one T.

    steps(n) and answer_length(n) give the configured width (the wider one for None); `sample` and `encode`
    build their rows with the width actually present.
    """

    name = "multiplication"
    symbols = ("0", "1", "*", "=", "_")

    def __init__(self, first_operand_bits: int | None = 2) -> None:
        if first_operand_bits is not None and first_operand_bits not in WIDTHS:
            raise ValueError(f"multiplication: first_operand_bits must be 1, 2 or None; got {first_operand_bits!r}")
        self.first_operand_bits = first_operand_bits

    @property
    def widest(self) -> int:
        return self.first_operand_bits or max(WIDTHS)

    def steps(self, n: int) -> int:
        return self.widest * n

    def answer_length(self, n: int) -> int:
        return self.widest + n

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        width = self.first_operand_bits or int(rng.choice(WIDTHS))
        a = rng.integers(0, 2, size=(batch_size, width), dtype=np.int64)
        b = rng.integers(0, 2, size=(batch_size, n), dtype=np.int64)
        columns = np.zeros((batch_size, width + n), dtype=np.int64)
        for shift in range(width):  # add a's bit of weight 2**shift times b, least significant first
            columns[:, shift : shift + n] += a[:, [width - 1 - shift]] * b[:, ::-1]
        answers = np.full((batch_size, self.answer_length(n)), self.pad, dtype=np.int64)
        answers[:, : width + n] = carry_through(columns)
        times = np.full((batch_size, 1), self.symbols.index("*"), dtype=np.int64)
        return np.concatenate([a, times, b], axis=1), answers

    def sample(self, n: int, batch_size: int, rng: np.random.Generator) -> Batch:
        """As Task.sample, but T and the answer width follow the first-operand width actually drawn."""
        self.check_length(n)
        prompts, answers = self.generate(n, batch_size, rng)
        width = prompts.shape[1] - n - 1
        return Multiplication(width).full_answer_batch(prompts, answers[:, : width + n], n)

    def encode(self, prompts: list[str]) -> list[tuple[list[int], Batch]]:
        """As Task.encode, but 1- and 2-bit first operands are grouped apart: their rows differ in width and T."""
        widths = [self.first_operand_width(self.parse(p)) for p in prompts]
        encoded = []
        for width in sorted(set(widths)):
            indices = [i for i, w in enumerate(widths) if w == width]
            groups = Task.encode(Multiplication(width), [prompts[i] for i in indices])
            encoded += [([indices[j] for j in group], batch) for group, batch in groups]
        return sorted(encoded, key=lambda pair: pair[0][0])

    def first_operand_width(self, prompt_ids: np.ndarray) -> int:
        return int(np.flatnonzero(prompt_ids == self.symbols.index("*"))[0])

    def parse(self, prompt: str) -> np.ndarray:
        ids = self.tokenize(prompt, alphabet=("0", "1", "*"))
        operands = prompt.strip().split("*")
        if len(operands) != 2:
            raise PromptError(
                f"multiplication: expected one '*' operator between two operands; got {len(operands) - 1}"
            )
        a, b = operands
        if len(a) not in WIDTHS:
            raise PromptError(f"multiplication: the first operand must have 1 or 2 bits; got {len(a)}")
        if not b:
            raise PromptError("multiplication: the second operand is empty")
        return ids

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids) - self.first_operand_width(prompt_ids) - 1

    def solve(self, prompt: str) -> str:
        self.parse(prompt)
        a, b = prompt.strip().split("*")
        return format(int(a, 2) * int(b, 2), f"0{len(a) + len(b)}b")[::-1]
