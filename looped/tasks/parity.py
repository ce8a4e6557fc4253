"""Parity: the XOR of n bits. One loop iteration per input bit."""

from __future__ import annotations

import numpy as np

from looped.tasks.base import BitsTask


class Parity(BitsTask):
    name = "parity"

    def answer_length(self, n: int) -> int:
        return 1

    def answer(self, bits: np.ndarray) -> np.ndarray:
        return bits.sum(axis=1, keepdims=True) % 2

    def answer_text(self, bits: str) -> str:
        return str(bits.count("1") % 2)
