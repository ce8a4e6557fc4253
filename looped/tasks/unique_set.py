"""Unique set: the distinct values of n tokens from 0..49, in order of first appearance. T = n."""

from __future__ import annotations

import re

import numpy as np

from looped.tasks.base import PromptError, Task

VALUES = 50  # values are 0..VALUES-1; value v is token id v


class UniqueSet(Task):
    """`alphabet="varied"` draws each example's values from a random subset of its own size (1 to 50, uniform)
    instead of from all 50. Uniform rows seldom repeat a value at short lengths (none in 0.94 of the rows at
    n = 3), so the curriculum's early lengths teach copying and hardly ever what to do with a repeat; with
    varied alphabets repeats are common at every length, and each value is still equally likely.
    """

    name = "unique_set"
    symbols = (*(str(v) for v in range(VALUES)), "=", "_")
    separator = " "

    def __init__(self, alphabet: str = "full") -> None:
        if alphabet not in ("full", "varied"):
            raise ValueError(f"{self.name}: alphabet must be 'full' or 'varied', got {alphabet!r}")
        self.alphabet = alphabet

    def steps(self, n: int) -> int:
        return n

    def answer_length(self, n: int) -> int:
        return n

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if self.alphabet == "varied":
            sizes = rng.integers(1, VALUES + 1, size=(batch_size, 1))
            subsets = np.argsort(rng.random((batch_size, VALUES)), axis=1)  # a random order of the values per row
            values = np.take_along_axis(subsets, (rng.random((batch_size, n)) * sizes).astype(np.int64), axis=1)
        else:
            values = rng.integers(0, VALUES, size=(batch_size, n), dtype=np.int64)
        # Offsetting each row by VALUES makes (row, value) keys unique across the batch, so one np.unique
        # finds every row's first occurrences at once.
        keys = values + VALUES * np.arange(batch_size)[:, None]
        first = np.zeros(values.size, dtype=bool)
        first[np.unique(keys, return_index=True)[1]] = True
        first = first.reshape(values.shape)
        order = np.argsort(~first, axis=1, kind="stable")  # first occurrences to the front, in order
        kept = np.take_along_axis(first, order, axis=1)
        return values, np.where(kept, np.take_along_axis(values, order, axis=1), self.pad)

    def parse(self, prompt: str) -> np.ndarray:
        pieces = prompt.split()
        if not pieces:
            raise PromptError(f"{self.name}: empty input")
        for piece in pieces:
            if not re.fullmatch(r"[+-]?[0-9]+", piece):
                raise PromptError(f"{self.name}: {piece!r} is not an integer; values are 0 to {VALUES - 1}")
            if not 0 <= int(piece) < VALUES:
                raise PromptError(f"{self.name}: {piece} is out of range; values are 0 to {VALUES - 1}")
        return np.array([int(p) for p in pieces], dtype=np.int64)

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids)

    def solve(self, prompt: str) -> str:
        values = [int(v) for v in self.parse(prompt)]
        return " ".join(str(v) for v in dict.fromkeys(values))
