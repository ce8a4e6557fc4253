"""The looped model: causal, exactly T applications of one block, lazy iteration, validated config."""

from __future__ import annotations

import math
import types

import pytest
import torch
from conftest import scrambled_model

from looped.model import LoopedModel, ModelConfig

VOCAB = 6


def config(injection: bool, n_layers: int = 2, **options: object) -> ModelConfig:
    sizes = {"d_model": 16, "n_heads": 4, "n_layers": n_layers, "mlp_ratio": 2}
    return ModelConfig(**sizes, input_injection=injection, **options)  # type: ignore[arg-type]


def random_inputs(batch: int = 3, width: int = 9, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, VOCAB, (batch, width), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("injection", [True, False])
@pytest.mark.parametrize("steps", [1, 3, 7])
@pytest.mark.parametrize(
    "options", [{}, {"attention_scale": "log"}, {"start_token": True}, {"token_shift": True}], ids=str
)
@torch.no_grad()
def test_causal_at_every_loop_count(injection: bool, steps: int, options: dict[str, object]) -> None:
    model = scrambled_model(config(injection, **options), VOCAB)
    inputs = random_inputs()
    before = model(inputs, steps)
    for position in (2, 5, 8):
        changed = inputs.clone()
        changed[:, position] = (changed[:, position] + 1) % VOCAB
        after = model(changed, steps)
        torch.testing.assert_close(after[:, :position], before[:, :position], rtol=0, atol=1e-5)
        # The change is visible from its own position on, so the comparison above could fail.
        assert (after[:, position] - before[:, position]).abs().max() > 1e-3


@pytest.mark.parametrize("injection", [True, False])
@pytest.mark.parametrize("steps", [1, 2, 5])
@torch.no_grad()
def test_forward_is_t_applications_of_the_block(injection: bool, steps: int) -> None:
    model = scrambled_model(config(injection), VOCAB)
    inputs = random_inputs()
    embedded = model.embed(inputs)
    if injection:
        state, injected = torch.zeros_like(embedded), embedded
    else:
        state, injected = embedded, None
    for _ in range(steps):
        x = state if injected is None else state + injected
        for layer in model.layers:  # `step` by hand: the block stack, then the final LayerNorm
            x = layer(x)
        state = model.ln_out(x)
    expected = model.head(state)
    torch.testing.assert_close(model(inputs, steps), expected, rtol=0, atol=1e-6)

    # And through the public `step`.
    state = torch.zeros_like(embedded) if injection else embedded
    for _ in range(steps):
        state = model.step(state, embedded if injection else None)
    torch.testing.assert_close(model(inputs, steps), model.head(state), rtol=0, atol=1e-6)


@pytest.mark.parametrize("injection", [True, False])
@torch.no_grad()
def test_start_token_acts_as_a_first_token_that_is_not_read_out(injection: bool) -> None:
    """Against the same weights without a start token, given one more vocabulary entry holding the start vector
    and fed that entry in front of every row: the same logits, less the first position."""
    with_start = scrambled_model(config(injection, start_token=True), VOCAB)
    plain = LoopedModel(config(injection), VOCAB + 1).eval()
    own = ("start", "embed.weight", "head.weight")
    plain.load_state_dict({k: v for k, v in with_start.state_dict().items() if k not in own}, strict=False)
    plain.embed.weight.copy_(torch.cat([with_start.embed.weight, with_start.start[None]]))
    plain.head.weight.zero_()
    plain.head.weight[:VOCAB].copy_(with_start.head.weight)
    inputs = random_inputs()
    prefixed = torch.cat([torch.full((len(inputs), 1), VOCAB), inputs], dim=1)
    for steps in (1, 4):
        expected = plain(prefixed, steps)[:, 1:, :VOCAB]
        torch.testing.assert_close(with_start(inputs, steps), expected, rtol=1e-5, atol=1e-5)
    assert (with_start(inputs, 4) - scrambled_model(config(injection), VOCAB)(inputs, 4)).abs().max() > 1e-3


@torch.no_grad()
def test_injection_changes_the_result() -> None:
    """Loops with and without injection are different functions of the same weights (after step one)."""
    with_injection = scrambled_model(config(True), VOCAB)
    without = LoopedModel(config(False), VOCAB).eval()
    without.load_state_dict(with_injection.state_dict())
    inputs = random_inputs()
    assert not torch.allclose(with_injection(inputs, 3), without(inputs, 3), atol=1e-4)


@torch.no_grad()
def test_more_steps_change_the_logits() -> None:
    model = scrambled_model(config(True), VOCAB)
    inputs = random_inputs()
    assert not torch.allclose(model(inputs, 2), model(inputs, 3), atol=1e-4)


@pytest.mark.parametrize("injection", [True, False])
@torch.no_grad()
def test_iterate_is_lazy_and_matches_forward(injection: bool) -> None:
    model = scrambled_model(config(injection), VOCAB)
    inputs = random_inputs()

    # A horizon no eager implementation could reach: only a lazy generator yields two steps quickly.
    huge = model.iterate(inputs, 10**12)
    assert isinstance(huge, types.GeneratorType)
    first, second = next(huge), next(huge)
    torch.testing.assert_close(first, model(inputs, 1), rtol=0, atol=1e-6)
    torch.testing.assert_close(second, model(inputs, 2), rtol=0, atol=1e-6)
    huge.close()

    all_logits = list(model.iterate(inputs, 6))
    assert len(all_logits) == 6
    for steps, logits in enumerate(all_logits, start=1):
        assert logits.shape == (*inputs.shape, VOCAB)
        torch.testing.assert_close(model(inputs, steps), logits, rtol=0, atol=1e-6)

    states = model.states(inputs, 10**12)
    assert isinstance(states, types.GeneratorType)
    torch.testing.assert_close(model.head(next(states)), all_logits[0], rtol=0, atol=1e-6)


def test_iterate_computes_only_what_is_consumed() -> None:
    model = scrambled_model(config(True, n_layers=1), VOCAB)
    calls = 0
    original = model.step

    def counting_step(state, injected):
        nonlocal calls
        calls += 1
        return original(state, injected)

    model.step = counting_step  # type: ignore[method-assign]
    iterator = model.iterate(random_inputs(), 50)
    with torch.no_grad():
        next(iterator)
        next(iterator)
    assert calls == 2


@torch.no_grad()
def test_log_attention_scale_multiplies_each_querys_logits_by_its_log_key_count() -> None:
    """Against attention written out by hand: softmax(s_h log(i + 1) q_i k_j / sqrt(d)) over keys j <= i."""
    torch.manual_seed(0)
    attention = LoopedModel(config(True, n_layers=1, attention_scale="log"), VOCAB).layers[0].attn
    attention.log_scale.copy_(torch.tensor([0.3, 0.7, 1.0, 2.0]))
    x = torch.randn(2, 7, 16)
    q, k, v = attention.qkv(x).view(2, 7, 3, 4, 4).unbind(dim=2)
    expected = torch.empty(2, 7, 4, 4)
    for i in range(7):
        for h in range(4):
            scale = attention.log_scale[h] * math.log(i + 1) / math.sqrt(4)
            weights = torch.softmax((q[:, i, h, None, :] * k[:, : i + 1, h, :]).sum(-1) * scale, dim=-1)
            expected[:, i, h] = (weights[:, :, None] * v[:, : i + 1, h, :]).sum(dim=1)
    torch.testing.assert_close(attention(x), attention.proj(expected.reshape(2, 7, 16)), rtol=1e-4, atol=1e-5)
    plain = LoopedModel(config(True, n_layers=1), VOCAB).layers[0].attn
    assert plain.log_scale is None and not any(p.shape == (4,) for p in plain.parameters())


@torch.no_grad()
def test_token_shift_adds_a_map_of_the_previous_positions_state_and_nothing_at_the_first() -> None:
    torch.manual_seed(0)
    shift = LoopedModel(config(True, n_layers=1, token_shift=True), VOCAB).layers[0].shift
    x = torch.randn(2, 7, 16)
    expected = x.clone()
    expected[:, 0] += shift.proj.bias
    for i in range(1, 7):
        expected[:, i] += shift.proj(shift.ln(x[:, i - 1]))
    torch.testing.assert_close(shift(x), expected, rtol=1e-5, atol=1e-5)
    assert LoopedModel(config(True, n_layers=1), VOCAB).layers[0].shift is None


@pytest.mark.parametrize("width", [9, 40])
@torch.no_grad()
def test_without_attention_the_token_shift_reaches_one_position_further_each_iteration(width: int) -> None:
    """Attention switched off, a token at position j reaches positions j .. j + t after t iterations and no
    further, at any row width: the shift is local and the same everywhere."""
    model = scrambled_model(config(True, n_layers=1, token_shift=True), VOCAB)
    model.layers[0].attn.proj.weight.zero_()
    inputs = random_inputs(width=width)
    changed = inputs.clone()
    changed[:, 2] = (changed[:, 2] + 1) % VOCAB
    for steps in (1, 3, 5):
        moved = (model(changed, steps) - model(inputs, steps)).abs().amax(dim=(0, 2)) > 1e-4
        assert moved.tolist() == [2 <= i <= 2 + steps for i in range(width)]


def test_config_rejects_an_unknown_attention_scale() -> None:
    with pytest.raises(ValueError, match="attention_scale must be 'none' or 'log'"):
        ModelConfig(attention_scale="sqrt")  # type: ignore[arg-type]


def test_forward_needs_at_least_one_step() -> None:
    model = scrambled_model(config(True), VOCAB)
    with pytest.raises(ValueError, match="steps"):
        model(random_inputs(), 0)


def test_config_needs_d_model_divisible_by_heads() -> None:
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(d_model=30, n_heads=4)
    ModelConfig(d_model=32, n_heads=4)  # divisible: accepted


@pytest.mark.parametrize("field", ["d_model", "n_heads", "n_layers", "mlp_ratio"])
@pytest.mark.parametrize("value", [0, -1])
def test_config_rejects_non_positive_sizes(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=field):
        ModelConfig(**{field: value})


def test_one_block_is_shared_across_iterations() -> None:
    """The parameter count does not depend on the loop count: there is one block stack, reused."""
    model = LoopedModel(ModelConfig(d_model=16, n_heads=2, n_layers=3, mlp_ratio=2), VOCAB)
    assert len(model.layers) == 3
    per_layer = sum(p.numel() for p in model.layers[0].parameters())
    others = sum(p.numel() for p in model.embed.parameters()) + sum(p.numel() for p in model.ln_out.parameters())
    others += sum(p.numel() for p in model.head.parameters())
    assert model.num_parameters() == 3 * per_layer + others
