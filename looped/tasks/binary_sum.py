"""Binary sum: the number of ones among n bits, in binary, least significant bit first. One loop iteration
per input bit. A count of zero is written "0" (the reference leaves it empty), so every answer is non-empty."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import BitsTask


class BinarySum(BitsTask):
    name = "binary_sum"

    def answer_length(self, n: int) -> int:
        return n.bit_length()

    def answer(self, bits: np.ndarray) -> np.ndarray:
        shifted = bits.sum(axis=1, keepdims=True) >> np.arange(self.answer_length(bits.shape[1]))
        written = shifted > 0  # digits up to the highest one...
        written[:, 0] = True  # ...and always the first, so that zero reads "0"
        return np.where(written, shifted & 1, self.pad)

    def answer_text(self, bits: str) -> str:
        return format(bits.count("1"), "b")[::-1]
