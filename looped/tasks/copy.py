"""Copy: repeat n bits in the same order. One loop iteration per input bit."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import BitsTask


class Copy(BitsTask):
    name = "copy"

    def answer_length(self, n: int) -> int:
        return n

    def answer(self, bits: np.ndarray) -> np.ndarray:
        return bits.copy()

    def answer_text(self, bits: str) -> str:
        return bits
