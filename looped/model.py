"""The looped Transformer: one GPT-2 style block stack with no positional embeddings, applied again and again.

With input injection the embedded input is added to the state before every iteration:
    state_0 = 0,  state_{t+1} = LayerNorm(Stack(state_t + embed(x)))
and the read-out after every iteration gives that step's answer. Without injection the loop starts from the
embedded input and never sees it again (the ablation).

An optional halting head reads, after every iteration, one logit saying "stop here"; it is trained to say yes
at T(n) (looped.training.loss) and read by the `halting` stopping rule. An optional witness head reads a
second answer the task defines (looped.tasks.base.Task.witness), learned at T(n) like the answer; confidence
stopping scores both.

An optional log-length attention scale (`model.attention_scale: log`) multiplies the query at position i by
s_h log(i + 1), with s_h learnt per head: a query can then keep one key as sharply in focus among i keys as
among the few of a short training row, where plain softmax attention spreads out as the row grows.

An optional start token (`model.start_token`) puts one learnt vector in front of every row, inside the model, so
the data layout is unchanged. With no positional embeddings, causal attention can only tell positions apart
through the tokens it sees; a token that is always first gives every position a fixed anchor (a head that
attends evenly puts weight 1/(i + 2) on it at input position i), which rows without a distinctive first token
lack.

An optional token shift (`model.token_shift`) adds, in front of each layer's attention, a learnt linear map of
the previous position's (LayerNorm-ed) state: x_i += W LN(x_{i-1}). It is not a positional embedding (nothing
depends on where a position is, only on its neighbour), so it is the same at every length; what it gives is
the one thing causal NoPE attention finds hard, a reliable look at the position just before. With it a loop
can move information one position per iteration (copy's answer is its input moved n + 1 places, T(n) = n) or
fold a running XOR along the row (parity), algorithms that do not depend on the row's length.

For next-token decoding, an optional `KVCache` keeps the keys and values of every position already seen, one
slot per (loop iteration, layer): each iteration of a causal looped model only looks back at earlier positions
of the previous iteration, so feeding just the new tokens with the cache gives the full recomputation's result.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    """Architecture of the looped block. The same block is reused for every iteration."""

    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 1
    mlp_ratio: int = 4
    input_injection: bool = True
    halting_head: bool = False
    witness_head: bool = False
    attention_scale: Literal["none", "log"] = "none"
    start_token: bool = False
    token_shift: bool = False

    def __post_init__(self) -> None:
        if self.attention_scale not in ("none", "log"):
            raise ValueError(f"model.attention_scale must be 'none' or 'log', got {self.attention_scale!r}")
        for name in ("d_model", "n_heads", "n_layers", "mlp_ratio"):
            if getattr(self, name) < 1:
                raise ValueError(f"model.{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"model.d_model ({self.d_model}) must be divisible by model.n_heads ({self.n_heads})")


NO_HALTING_HEAD = "this model has no halting head; train one with model.halting_head: true"


class LayerCache:
    """Keys and values (B, heads, positions, head width) that one attention layer has seen at one iteration."""

    def __init__(self) -> None:
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None
        self.last_row: torch.Tensor | None = None  # the token shift's view of the last position seen

    @property
    def length(self) -> int:
        return 0 if self.keys is None else self.keys.shape[2]

    def extend(self, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new positions; returns the keys and values of all positions so far."""
        if self.keys is not None and self.values is not None:
            keys, values = torch.cat([self.keys, keys], dim=2), torch.cat([self.values, values], dim=2)
        self.keys, self.values = keys, values
        return keys, values


class KVCache:
    """One LayerCache per (loop iteration, layer), created as decoding reaches them."""

    def __init__(self) -> None:
        self.slots: dict[tuple[int, int], LayerCache] = {}

    def at(self, iteration: int, n_layers: int) -> list[LayerCache]:
        return [self.slots.setdefault((iteration, index), LayerCache()) for index in range(n_layers)]


LOG_SCALE_REFERENCE = 32  # s_h starts at 1 / log(32): the log scale is 1 at position 31, inside most training rows


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, log_scale: bool = False) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.log_scale = nn.Parameter(torch.full((n_heads,), 1 / math.log(LOG_SCALE_REFERENCE))) if log_scale else None

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        """Causal attention over x; with a cache, x holds only new positions and also attends to the cached ones."""
        batch, length, width = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.n_heads, width // self.n_heads).unbind(dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.extend(k, v)
        if self.log_scale is not None:  # the query at position i attends over i + 1 keys
            positions = torch.arange(past + 1, past + length + 1, device=x.device, dtype=q.dtype)
            q = q * (self.log_scale[:, None] * positions.log())[None, :, :, None]
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # new position i sees every cached position and the new ones up to itself
            mask = torch.ones(length, past + length, dtype=torch.bool, device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(batch, length, width))


class TokenShift(nn.Module):
    """x_i + W LN(x_{i-1}), with nothing before the first position."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.ln = nn.LayerNorm(d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        rows = self.ln(x)
        before = torch.zeros_like(rows[:, :1])
        if cache is not None:
            if cache.last_row is not None:
                before = cache.last_row
            cache.last_row = rows[:, -1:]
        return x + self.proj(torch.cat([before, rows[:, :-1]], dim=1))


class Block(nn.Module):
    """Pre-LayerNorm decoder layer: x + attn(ln(x)), then x + mlp(ln(x)); with a token shift first, if asked."""

    def __init__(
        self, d_model: int, n_heads: int, mlp_ratio: int, log_scale: bool = False, token_shift: bool = False
    ) -> None:
        super().__init__()
        self.shift = TokenShift(d_model) if token_shift else None
        self.ln_attn = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads, log_scale)
        self.ln_mlp = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(), nn.Linear(mlp_ratio * d_model, d_model)
        )

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        if self.shift is not None:
            x = self.shift(x, cache)
        x = x + self.attn(self.ln_attn(x), cache)
        return x + self.mlp(self.ln_mlp(x))


def compile_blocks(model: nn.Module) -> None:
    """torch.compile every decoder layer in place; the loop around them stays eager, since its step count
    changes from batch to batch."""
    for module in model.modules():
        if isinstance(module, Block):
            module.compile()


class LoopedModel(nn.Module):
    """Embedding, one block stack of `n_layers` layers looped any number of times, final LayerNorm, read-out."""

    def __init__(self, config: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.config = config
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, config.d_model)
        self.layers = nn.ModuleList(
            Block(config.d_model, config.n_heads, config.mlp_ratio, config.attention_scale == "log", config.token_shift)
            for _ in range(config.n_layers)
        )
        self.ln_out = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, vocab_size, bias=False)
        self.halt = nn.Linear(config.d_model, 1) if config.halting_head else None
        self.witness = nn.Linear(config.d_model, vocab_size, bias=False) if config.witness_head else None
        self.apply(_init_weights)
        self.start = nn.Parameter(torch.randn(config.d_model)) if config.start_token else None

    def step(
        self, state: torch.Tensor, injected: torch.Tensor | None, cache: list[LayerCache] | None = None
    ) -> torch.Tensor:
        """One loop iteration: the block stack on the state (plus the injected input) and the final LayerNorm."""
        x = state if injected is None else state + injected
        for index, layer in enumerate(self.layers):
            x = layer(x, None if cache is None else cache[index])
        return self.ln_out(x)

    def states(self, inputs: torch.Tensor, max_steps: int, cache: KVCache | None = None) -> Iterator[torch.Tensor]:
        """States after iterations 1..max_steps, produced lazily so callers can stop early.

        With a cache, `inputs` are only the positions after the cached ones (incremental decoding). The start
        token, when the model has one, is part of the state but not of what is yielded."""
        embedded = self.embed(inputs)
        prepend = self.start is not None and (cache is None or not cache.slots)
        if prepend:
            embedded = torch.cat([self.start.expand(len(embedded), 1, -1), embedded], dim=1)
        if self.config.input_injection:
            state, injected = torch.zeros_like(embedded), embedded
        else:
            state, injected = embedded, None
        for iteration in range(max_steps):
            if cache is None:
                state = self.step(state, injected)
            else:
                state = self.step(state, injected, cache.at(iteration, len(self.layers)))
            yield state[:, 1:] if prepend else state

    def iterate(self, inputs: torch.Tensor, max_steps: int) -> Iterator[torch.Tensor]:
        """Logits (B, W, vocab) after iterations 1..max_steps, lazily."""
        for state in self.states(inputs, max_steps):
            yield self.head(state)

    def forward(self, inputs: torch.Tensor, steps: int, cache: KVCache | None = None) -> torch.Tensor:
        """Logits after exactly `steps` iterations (of the new positions only, when a cache is given)."""
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        last_state = deque(self.states(inputs, steps, cache), maxlen=1)[0]
        return self.head(last_state)

    def halting(self, state: torch.Tensor, answer_mask: torch.Tensor) -> torch.Tensor:
        """(B,) halting logit of a state, averaged over the answer slots: > 0 means "stop and read out here".
        Only models built with `halting_head` have one."""
        if self.halt is None:
            raise ValueError(NO_HALTING_HEAD)
        mask = answer_mask.to(state.dtype)
        return (self.halt(state).squeeze(-1) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def _init_weights(module: nn.Module) -> None:
    """GPT-2 initialisation for linear maps; embeddings keep unit scale so that the injected input is as large
    as the LayerNorm-ed state it is added to (a 0.02-scale embedding would be drowned out after step one)."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=1.0)
