"""The task interface: what every algorithmic task provides, and the row layouts built from it.

A task only has to say how to draw random prompts with their answers (as token arrays), how to read and
write its text form, and how many loop iterations T(n) an input of size n needs. Everything else, the
full-answer rows, the next-token rows and decoding, is derived here once for all tasks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields

import numpy as np
import torch

IGNORE = -100  # target id that cross-entropy skips (torch's default ignore_index)


class PromptError(ValueError):
    """A typed prompt that the task cannot read; the message names the problem."""


@dataclass(frozen=True)
class Batch:
    """Examples in the full-answer layout: the input row, then one padding slot per answer token plus an end slot.

    `targets` holds IGNORE before the answer start; from there on every position is supervised: the answer,
    then the end/pad token. `steps` is the loop count T(n) after which each example is read out.
    `witness_targets` has the same layout for the task's witness answer (`Task.witness`), or is all IGNORE.
    """

    inputs: torch.Tensor  # (B, W) token ids
    targets: torch.Tensor  # (B, W) token ids, IGNORE before the answer start
    loss_mask: torch.Tensor  # (B, W) bool: answer region plus trailing pads
    answer_start: torch.Tensor  # (B,) position of the '=' token, where the first answer token is written
    steps: torch.Tensor  # (B,) T(n) per example
    lengths: torch.Tensor  # (B,) input size n per example
    witness_targets: torch.Tensor  # (B, W) token ids of the witness answer, all IGNORE for tasks without one

    def to(self, device: torch.device | str) -> Batch:
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def select(self, rows: slice | torch.Tensor) -> Batch:
        """The given rows (a slice, indices or a boolean mask) of every field, at the same width."""
        return Batch(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def __len__(self) -> int:
        return self.inputs.shape[0]


@dataclass(frozen=True)
class NextTokenBatch:
    """The same examples for next-token prediction: prompt, '=', answer, end token(s).

    Position t predicts token t+1; `loss_mask` covers the answer and the end token(s) after it.
    """

    tokens: torch.Tensor  # (B, W) prompt, '=', answer, pads
    targets: torch.Tensor  # (B, W) tokens shifted left by one, IGNORE outside the answer region
    loss_mask: torch.Tensor  # (B, W) bool
    prompt_length: int  # number of tokens up to and including '='


class Task(ABC):
    """An algorithmic task with an exact solver. Subclasses set the class attributes and four methods."""

    name: str
    symbols: tuple[str, ...]  # token id -> symbol; must contain "=" and the pad/end symbol "_"
    separator: str = ""  # joins symbols in the text form (" " for multi-character symbols)
    min_length: int = 1

    @property
    def vocab_size(self) -> int:
        return len(self.symbols)

    @property
    def equals(self) -> int:
        return self.symbols.index("=")

    @property
    def pad(self) -> int:
        """Padding slot in inputs and end-of-answer token in targets."""
        return self.symbols.index("_")

    # --- what each task defines -------------------------------------------------------------------------

    @abstractmethod
    def steps(self, n: int) -> int:
        """T(n): loop iterations after which an input of size n is read out."""

    @abstractmethod
    def answer_length(self, n: int) -> int:
        """Longest possible answer, in tokens, for an input of size n."""

    @abstractmethod
    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Random prompts of size n and their answers, vectorised over the batch.

        Returns prompt ids (B, P) without the '=' and answer ids (B, answer_length(n)), right-padded with
        the pad token when an answer is shorter than the longest possible one.
        """

    @abstractmethod
    def parse(self, prompt: str) -> np.ndarray:
        """Token ids of a typed prompt (without '='); raises PromptError naming what is wrong."""

    @abstractmethod
    def solve(self, prompt: str) -> str:
        """The answer's text form, computed directly from the prompt with plain integer arithmetic."""

    @abstractmethod
    def size(self, prompt_ids: np.ndarray) -> int:
        """The input size n of a parsed prompt."""

    has_witness: bool = False  # True when `witness` gives one

    def witness(self, prompts: np.ndarray) -> np.ndarray | None:
        """A second answer (B, answer_length(n)) for a witness read-out (model.witness_head) to learn at T(n),
        or None: tasks have none unless an option asks for one.

        Confidence stopping scores the witness together with the answer. A witness whose read-out is exact at
        different steps from the answer's, except at T(n), makes "most confident" single out T(n).
        """
        return None

    # --- derived for every task ---------------------------------------------------------------------------

    def check_length(self, n: int) -> None:
        if not isinstance(n, (int, np.integer)) or n < self.min_length:
            raise ValueError(f"{self.name}: length must be an integer >= {self.min_length}, got {n!r}")

    def sample(self, n: int, batch_size: int, rng: np.random.Generator) -> Batch:
        """A batch of fresh random examples of size n in the full-answer layout."""
        self.check_length(n)
        prompts, answers = self.generate(n, batch_size, rng)
        return self.full_answer_batch(prompts, answers, n)

    def sample_mixed(self, sizes: np.ndarray, rng: np.random.Generator) -> Batch:
        """One example per entry of `sizes`, right-padded to a common width (the reference's batching)."""
        values, counts = np.unique(sizes, return_counts=True)
        parts = [self.sample(int(n), int(count), rng) for n, count in zip(values, counts, strict=True)]
        return concatenate(parts, pad=self.pad)

    def full_answer_batch(self, prompts: np.ndarray, answers: np.ndarray, n: int) -> Batch:
        batch_size, prompt_len = prompts.shape
        answer_len = answers.shape[1]
        width = prompt_len + answer_len + 1  # '=' slot holds the first answer token; one end slot after
        inputs = np.full((batch_size, width), self.pad, dtype=np.int64)
        inputs[:, :prompt_len] = prompts
        inputs[:, prompt_len] = self.equals

        def answer_row(answer: np.ndarray) -> torch.Tensor:
            targets = np.full((batch_size, width), self.pad, dtype=np.int64)
            targets[:, :prompt_len] = IGNORE
            targets[:, prompt_len : prompt_len + answer_len] = answer
            return torch.from_numpy(targets)

        targets_t = answer_row(answers)
        witness = self.witness(prompts)

        def column(value: int) -> torch.Tensor:
            return torch.full((batch_size,), value, dtype=torch.long)

        return Batch(
            inputs=torch.from_numpy(inputs),
            targets=targets_t,
            loss_mask=targets_t != IGNORE,
            answer_start=column(prompt_len),
            steps=column(self.steps(n)),
            lengths=column(n),
            witness_targets=torch.full_like(targets_t, IGNORE) if witness is None else answer_row(witness),
        )

    def next_token_batch(self, batch: Batch) -> NextTokenBatch:
        """Render full-answer examples of one size as next-token rows: prompt, '=', answer, end token."""
        start = int(batch.answer_start[0])
        if not bool((batch.answer_start == start).all()):
            raise ValueError("next-token rows need examples of one size per batch")
        tokens = torch.cat([batch.inputs[:, : start + 1], batch.targets[:, start:]], dim=1)
        targets = torch.full_like(tokens, IGNORE)
        targets[:, start:-1] = tokens[:, start + 1 :]
        return NextTokenBatch(tokens=tokens, targets=targets, loss_mask=targets != IGNORE, prompt_length=start + 1)

    def encode(self, prompts: list[str]) -> list[tuple[list[int], Batch]]:
        """Typed prompts as full-answer rows for inference, grouped by size so that each group shares T(n).

        Targets hold the answers from `solve`, so the same rows can be scored. Returns (prompt indices,
        batch) pairs in order of first appearance.
        """
        parsed = [self.parse(p) for p in prompts]
        groups: dict[int, list[int]] = {}
        for index, ids in enumerate(parsed):
            groups.setdefault(self.size(ids), []).append(index)
        encoded = []
        for n, indices in groups.items():
            answers = np.stack([self.parse_answer(self.solve(prompts[i]), n) for i in indices])
            encoded.append((indices, self.full_answer_batch(np.stack([parsed[i] for i in indices]), answers, n)))
        return encoded

    def parse_answer(self, answer: str, n: int) -> np.ndarray:
        """Answer ids from its text form, padded to answer_length(n)."""
        ids = self.tokenize(answer)
        padded = np.full(self.answer_length(n), self.pad, dtype=np.int64)
        padded[: len(ids)] = ids
        return padded

    def tokenize(self, text: str, alphabet: tuple[str, ...] | None = None) -> np.ndarray:
        """Split a text form into token ids, allowing only `alphabet` (default: every non-special symbol)."""
        allowed = alphabet if alphabet is not None else tuple(s for s in self.symbols if s not in ("=", "_"))
        pieces = text.split() if self.separator == " " else list(text.strip())
        if not pieces:
            raise PromptError(f"{self.name}: empty input")
        bad = sorted({p for p in pieces if p not in allowed})
        if bad:
            raise PromptError(
                f"{self.name}: unexpected symbol(s) {', '.join(map(repr, bad))}; allowed: {' '.join(allowed)}"
            )
        return np.array([self.symbols.index(p) for p in pieces], dtype=np.int64)

    def render(self, ids: np.ndarray | torch.Tensor | list[int]) -> str:
        """Text form of a row of token ids; trailing pads and IGNORE entries are dropped."""
        symbols = [self.symbols[int(i)] for i in ids if int(i) != IGNORE]
        while symbols and symbols[-1] == "_":
            symbols.pop()
        return self.separator.join(symbols)

    def decode_answers(self, rows: torch.Tensor, answer_start: torch.Tensor) -> list[str]:
        """Answer text of each row of predicted (or target) ids, read from its answer start on."""
        return [self.render(row[int(start) :].tolist()) for row, start in zip(rows, answer_start, strict=True)]

    def decode_prompts(self, batch: Batch) -> list[str]:
        starts = batch.answer_start
        return [self.render(row[: int(start)].tolist()) for row, start in zip(batch.inputs, starts, strict=True)]


def concatenate(batches: list[Batch], pad: int) -> Batch:
    """Stack batches of different widths, right-padding inputs with pad and targets with the end token."""
    width = max(b.inputs.shape[1] for b in batches)
    stretched = [right_pad(b, width, pad) for b in batches]
    return Batch(**{f.name: torch.cat([getattr(b, f.name) for b in stretched]) for f in fields(Batch)})


def right_pad(batch: Batch, width: int, pad: int) -> Batch:
    """The same examples with trailing pad slots up to `width`, supervised as more end tokens, as the answer
    region's own trailing slots are."""
    extra = width - batch.inputs.shape[1]
    if extra == 0:
        return batch

    def stretch(t: torch.Tensor, value: int | bool) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, extra), value=value)

    return Batch(
        inputs=stretch(batch.inputs, pad),
        targets=stretch(batch.targets, pad),
        loss_mask=stretch(batch.loss_mask, True),
        answer_start=batch.answer_start,
        steps=batch.steps,
        lengths=batch.lengths,
        # continues each witness row's last entry: the end token, or IGNORE for a task without a witness
        witness_targets=stretch(batch.witness_targets, int(batch.witness_targets[0, -1])),
    )


def prepend_fillers(batch: Batch, count: int, pad: int) -> Batch:
    """The same examples with `count` pad tokens in front of every prompt (unsupervised), so that the answer
    sits `count` positions later. Training on such rows shows the block long rows without longer inputs."""
    if count == 0:
        return batch
    rows = batch.inputs.shape[0]

    def left(t: torch.Tensor, value: int | bool) -> torch.Tensor:
        return torch.cat([torch.full((rows, count), value, dtype=t.dtype, device=t.device), t], dim=1)

    return Batch(
        inputs=left(batch.inputs, pad),
        targets=left(batch.targets, IGNORE),
        loss_mask=left(batch.loss_mask, False),
        answer_start=batch.answer_start + count,
        steps=batch.steps,
        lengths=batch.lengths,
        witness_targets=left(batch.witness_targets, IGNORE),
    )


STEP_OPTIONS = {"n": 0, "n+1": 1}  # a task's `steps` option -> loop iterations beyond n


def step_offset(task: str, steps: str) -> int:
    """Iterations beyond n for a task's `steps` option ("n", the reference's T(n), or "n+1")."""
    if steps not in STEP_OPTIONS:
        raise ValueError(f"{task}: steps must be one of {', '.join(map(repr, STEP_OPTIONS))}; got {steps!r}")
    return STEP_OPTIONS[steps]


class BitsTask(Task):
    """A task whose prompt is n random bits, one loop iteration per bit: subclasses give the answer only.

    `bit_density="varied"` draws each example's probability of a one uniformly from [0, 1] instead of 1/2, so
    that sparse and dense inputs (almost never seen among uniform random bits) are trained on too.
    `steps="n+1"` reads the answer one iteration later than the reference's T(n) = n.
    `witness="complement"` adds the task's answer for the complemented bits as a witness (`Task.witness`). For
    parity with T(n) = n + 1 it is the parity of the zeros: the ones' and the zeros' read-outs, turning by
    pi c/(n+1) and pi (n-c)/(n+1) per step, are both exact only at multiples of n + 1
    (results/parity/experiments/README.md, section 11).
    """

    symbols = ("0", "1", "=", "_")

    def __init__(self, bit_density: str = "uniform", steps: str = "n", witness: str = "none") -> None:
        if bit_density not in ("uniform", "varied"):
            raise ValueError(f"{self.name}: bit_density must be 'uniform' or 'varied', got {bit_density!r}")
        if witness not in ("none", "complement"):
            raise ValueError(f"{self.name}: witness must be 'none' or 'complement', got {witness!r}")
        self.bit_density = bit_density
        self.extra_steps = step_offset(self.name, steps)
        self.has_witness = witness == "complement"

    def witness(self, prompts: np.ndarray) -> np.ndarray | None:
        return self.answer(1 - prompts) if self.has_witness else None

    def steps(self, n: int) -> int:
        return n + self.extra_steps

    @abstractmethod
    def answer(self, bits: np.ndarray) -> np.ndarray:
        """Answer ids (B, answer_length(n)) for bit rows (B, n), pad-filled after shorter answers."""

    @abstractmethod
    def answer_text(self, bits: str) -> str:
        """The answer's text form for a valid bit string, by plain string and integer arithmetic."""

    def generate(self, n: int, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if self.bit_density == "varied":
            density = rng.random((batch_size, 1))
            bits = (rng.random((batch_size, n)) < density).astype(np.int64)
        else:
            bits = rng.integers(0, 2, size=(batch_size, n), dtype=np.int64)
        return bits, self.answer(bits)

    def parse(self, prompt: str) -> np.ndarray:
        return self.tokenize(prompt, alphabet=("0", "1"))

    def size(self, prompt_ids: np.ndarray) -> int:
        return len(prompt_ids)

    def solve(self, prompt: str) -> str:
        self.parse(prompt)  # raises PromptError on anything but bits
        return self.answer_text(prompt.strip())
