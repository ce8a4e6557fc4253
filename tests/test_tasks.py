"""Every registered task: generated rows, typed prompts and layouts agree with plain integer arithmetic.

The expected answers and T(n) are written out here independently of the task modules, so a generator and
a solver that share a mistake still fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from looped.tasks import IGNORE, Batch, PromptError, Task, get_task, task_names
from looped.tasks.base import prepend_fillers, right_pad

SETTINGS = settings(max_examples=40, deadline=None)
SIZES = [*range(1, 65), 100, 130]  # beyond 64 bits: no int64 overflow anywhere


def binary_digits(value: int, count: int) -> str:
    """`count` binary digits of value, least significant first."""
    digits = ""
    for _ in range(count):
        value, bit = divmod(value, 2)
        digits += str(bit)
    assert value == 0, "answer wider than its documented length"
    return digits


def unique_in_order(prompt: str) -> str:
    seen: list[str] = []
    for value in prompt.split():
        if value not in seen:
            seen.append(value)
    return " ".join(seen)


def ones(prompt: str) -> int:
    return sum(int(bit) for bit in prompt)


def lsb_addition(prompt: str) -> str:
    """Addition with operands and sum least significant bit first."""
    a, b = (int(operand[::-1], 2) for operand in prompt.split("+"))
    return binary_digits(a + b, len(prompt.split("+")[0]) + 1)


REFERENCE: dict[str, Callable[[str], str]] = {
    "parity": lambda p: str(ones(p) % 2),
    "copy": lambda p: p,
    "addition": lambda p: binary_digits(sum(int(x, 2) for x in p.split("+")), len(p.split("+")[0]) + 1)[::-1],
    "multiplication": lambda p: binary_digits(int(p.split("*")[0], 2) * int(p.split("*")[1], 2), len(p) - 1),
    "binary_sum": lambda p: binary_digits(ones(p), max(1, ones(p).bit_length())),
    "unique_set": unique_in_order,
}


def reference(name: str, options: dict) -> Callable[[str], str]:
    return lsb_addition if options.get("order") == "lsb" else REFERENCE[name]


def expected_steps(name: str, options: dict, prompt: str, n: int) -> int:
    """T(n) as documented: n for all tasks but multiplication (len(a)·n); n+1 with the steps option."""
    if name == "multiplication":
        return len(prompt.split("*")[0]) * n
    return n + 1 if options.get("steps") == "n+1" else n


CONFIGS = [(name, {}) for name in task_names()] + [
    ("addition", {"steps": "n+1"}),
    ("addition", {"order": "lsb"}),
    ("parity", {"steps": "n+1"}),
    ("multiplication", {"first_operand_bits": 1}),
    ("multiplication", {"first_operand_bits": None}),
    ("unique_set", {"alphabet": "varied"}),
]
CONFIG_IDS = [name + "".join(f"-{k}={v}" for k, v in options.items()) for name, options in CONFIGS]


def bits(min_size: int = 1, max_size: int = 70) -> st.SearchStrategy[str]:
    return st.text(alphabet="01", min_size=min_size, max_size=max_size)


PROMPTS: dict[str, st.SearchStrategy[str]] = {  # typed prompts, leading zeros included
    "parity": bits(),
    "copy": bits(),
    "binary_sum": bits(),
    "addition": st.integers(1, 70).flatmap(lambda n: st.tuples(bits(n, n), bits(n, n)).map("+".join)),
    "multiplication": st.tuples(bits(1, 2), bits()).map("*".join),
    "unique_set": st.lists(st.integers(0, 49), min_size=1, max_size=70).map(lambda v: " ".join(map(str, v))),
}


def test_every_registered_task_has_a_reference() -> None:
    assert set(task_names()) <= set(REFERENCE), "add an independent reference answer for each new task"


def answer_tokens(task: Task, answer: str) -> int:
    return len(answer.split()) if task.separator == " " else len(answer)


def check_rows(task: Task, name: str, options: dict, batch: Batch) -> None:
    """Answers match solve and the reference; masks, pads, T and sizes follow the documented layout."""
    prompts = task.decode_prompts(batch)
    answers = task.decode_answers(batch.targets, batch.answer_start)
    positions = torch.arange(batch.inputs.shape[1])
    for row, (prompt, answer) in enumerate(zip(prompts, answers, strict=True)):
        start = int(batch.answer_start[row])
        n = int(batch.lengths[row])
        assert answer == task.solve(prompt) == reference(name, options)(prompt), prompt
        assert task.size(task.parse(prompt)) == n
        assert int(batch.steps[row]) == expected_steps(name, options, prompt, n)
        assert torch.equal(batch.loss_mask[row], positions >= start)
        assert int(batch.inputs[row, start]) == task.equals
        assert (batch.targets[row, :start] == IGNORE).all()
        assert (batch.targets[row, start + answer_tokens(task, answer) :] == task.pad).all()
        assert (batch.inputs[row, start + 1 :] == task.pad).all()


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_generated_rows_match_arithmetic(name: str, options: dict) -> None:
    task = get_task(name, **options)
    rng = np.random.default_rng(0)
    for n in SIZES:
        batch = task.sample(n, 8, rng)
        assert (batch.lengths == n).all()
        check_rows(task, name, options, batch)


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
@SETTINGS
@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=12), seed=st.integers(0, 2**32 - 1))
def test_sample_mixed_rows_match_arithmetic(name: str, options: dict, sizes: list[int], seed: int) -> None:
    task = get_task(name, **options)
    batch = task.sample_mixed(np.array(sizes), np.random.default_rng(seed))
    assert sorted(batch.lengths.tolist()) == sorted(sizes)
    check_rows(task, name, options, batch)


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_next_token_rows(name: str, options: dict) -> None:
    task = get_task(name, **options)
    for n in (1, 7, 20):
        batch = task.sample(n, 8, np.random.default_rng(n))
        rows = task.next_token_batch(batch)
        start = int(batch.answer_start[0])
        assert rows.prompt_length == start + 1
        assert torch.equal(rows.tokens[:, : start + 1], batch.inputs[:, : start + 1])
        assert (rows.tokens[:, start] == task.equals).all()
        prompts = task.decode_prompts(batch)
        continuations = [task.render(row[start + 1 :].tolist()) for row in rows.tokens]
        assert continuations == [task.solve(p) for p in prompts]
        positions = torch.arange(rows.tokens.shape[1])
        assert (rows.loss_mask == ((positions >= start) & (positions < len(positions) - 1))).all()
        assert torch.equal(rows.targets[rows.loss_mask], rows.tokens[:, 1:][rows.loss_mask[:, :-1]])
        assert (rows.targets[~rows.loss_mask] == IGNORE).all()


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_prepended_fillers_move_the_answer_and_leave_it_unchanged(name: str, options: dict) -> None:
    task = get_task(name, **options)
    batch = task.sample_mixed(np.array([1, 3, 3, 6]), np.random.default_rng(0))
    filled = prepend_fillers(batch, 4, task.pad)
    assert torch.equal(filled.answer_start, batch.answer_start + 4)
    assert (filled.inputs[:, :4] == task.pad).all() and torch.equal(filled.inputs[:, 4:], batch.inputs)
    assert (filled.targets[:, :4] == IGNORE).all() and not filled.loss_mask[:, :4].any()
    assert torch.equal(filled.targets[filled.loss_mask], batch.targets[batch.loss_mask])
    answers = task.decode_answers(batch.targets, batch.answer_start)
    assert task.decode_answers(filled.targets, filled.answer_start) == answers
    assert torch.equal(filled.steps, batch.steps) and torch.equal(filled.lengths, batch.lengths)
    assert prepend_fillers(batch, 0, task.pad) is batch


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
def test_right_padding_adds_supervised_end_slots_and_leaves_the_rest(name: str, options: dict) -> None:
    task = get_task(name, **options)
    batch = task.sample_mixed(np.array([1, 3, 3, 6]), np.random.default_rng(0))
    width = batch.inputs.shape[1]
    padded = right_pad(batch, width + 5, task.pad)
    assert padded.inputs.shape == (4, width + 5)
    for field in ("inputs", "targets", "loss_mask", "witness_targets"):
        assert torch.equal(getattr(padded, field)[:, :width], getattr(batch, field)), field
    assert (padded.inputs[:, width:] == task.pad).all() and (padded.targets[:, width:] == task.pad).all()
    assert padded.loss_mask[:, width:].all()
    assert torch.equal(padded.answer_start, batch.answer_start) and torch.equal(padded.steps, batch.steps)
    answers = task.decode_answers(batch.targets, batch.answer_start)
    assert task.decode_answers(padded.targets, padded.answer_start) == answers
    assert right_pad(batch, width, task.pad) is batch


def test_next_token_rows_need_one_size() -> None:
    task = get_task("copy")
    with pytest.raises(ValueError, match="one size"):
        task.next_token_batch(task.sample_mixed(np.array([2, 5]), np.random.default_rng(0)))


@pytest.mark.parametrize(("name", "options"), CONFIGS, ids=CONFIG_IDS)
@SETTINGS
@given(data=st.data())
def test_encode_round_trip(name: str, options: dict, data: st.DataObject) -> None:
    task = get_task(name, **options)
    prompts = data.draw(st.lists(PROMPTS[name], min_size=1, max_size=6))
    encoded = task.encode(prompts)
    seen = [i for indices, _ in encoded for i in indices]
    assert sorted(seen) == list(range(len(prompts)))
    assert [indices[0] for indices, _ in encoded] == sorted(indices[0] for indices, _ in encoded)
    for indices, batch in encoded:
        assert task.decode_prompts(batch) == [prompts[i] for i in indices]
        check_rows(task, name, options, batch)


def test_multiplication_encodes_each_first_operand_width_with_its_own_steps() -> None:
    task = get_task("multiplication")
    (first, narrow), (second, wide) = task.encode(["1*101", "11*101"])
    assert (first, second) == ([0], [1])
    assert (narrow.steps.tolist(), wide.steps.tolist()) == ([3], [6])
    assert task.decode_answers(narrow.targets, narrow.answer_start) == ["1010"]
    assert task.decode_answers(wide.targets, wide.answer_start) == ["11110"]


def test_multiplication_random_width_is_drawn_per_batch() -> None:
    task = get_task("multiplication", first_operand_bits=None)
    rng = np.random.default_rng(0)
    widths = set()
    for _ in range(30):
        batch = task.sample(5, 16, rng)
        (width,) = {len(p.split("*")[0]) for p in task.decode_prompts(batch)}
        assert (batch.steps == width * 5).all()
        widths.add(width)
    assert widths == {1, 2}


MALFORMED = [
    ("parity", "1021", "unexpected symbol"),
    ("copy", "", "empty"),
    ("copy", "   ", "empty"),
    ("copy", "10a1", "unexpected symbol"),
    ("binary_sum", "10 11", "unexpected symbol"),
    ("addition", "", "empty"),
    ("addition", "101+01", "equal length"),
    ("addition", "+01", "equal length"),
    ("addition", "1011", "one '\\+' operator"),
    ("addition", "1+0+1", "one '\\+' operator"),
    ("addition", "10*01", "unexpected symbol"),
    ("multiplication", "101*1", "1 or 2 bits"),
    ("multiplication", "*101", "1 or 2 bits"),
    ("multiplication", "11*", "second operand"),
    ("multiplication", "11101", "one '\\*' operator"),
    ("multiplication", "1*1*1", "one '\\*' operator"),
    ("multiplication", "1+101", "unexpected symbol"),
    ("unique_set", "", "empty"),
    ("unique_set", "3 50", "out of range"),
    ("unique_set", "3 -1", "out of range"),
    ("unique_set", "3 x", "not an integer"),
    ("unique_set", "3 1.5", "not an integer"),
]


@pytest.mark.parametrize(("name", "prompt", "message"), MALFORMED)
def test_malformed_prompts_raise(name: str, prompt: str, message: str) -> None:
    task = get_task(name)
    for read in (task.parse, task.solve, lambda p: task.encode([p])):
        with pytest.raises(PromptError, match=message):
            read(prompt)


@pytest.mark.parametrize("name", ["addition", "parity", "copy", "binary_sum"])
def test_steps_option(name: str) -> None:
    batch = get_task(name, steps="n+1").sample(9, 4, np.random.default_rng(0))
    assert (batch.steps == 10).all()
    with pytest.raises(ValueError, match=f"{name}: steps must be one of 'n', 'n\\+1'"):
        get_task(name, steps="n+2")


def test_addition_orders() -> None:
    """6 + 3 = 9 with 3-bit operands, in both bit orders; the default keeps the reference's random stream."""
    assert get_task("addition").solve("110+011") == "1001"
    assert get_task("addition", order="lsb").solve("011+110") == "1001"
    assert get_task("addition").solve("101+011") == "1000"  # 5 + 3 = 8
    assert get_task("addition", order="lsb").solve("101+110") == "0001"
    old_stream = np.random.default_rng(0).integers(0, 2, size=(2, 4, 5))
    prompts = get_task("addition").decode_prompts(get_task("addition").sample(5, 4, np.random.default_rng(0)))
    assert prompts == ["".join(map(str, a)) + "+" + "".join(map(str, b)) for a, b in zip(*old_stream, strict=True)]
    with pytest.raises(ValueError, match="addition: order must be one of 'msb', 'lsb'"):
        get_task("addition", order="middle")


def test_multiplication_width_option() -> None:
    with pytest.raises(ValueError, match="1, 2 or None"):
        get_task("multiplication", first_operand_bits=3)


def test_unknown_task_lists_names() -> None:
    with pytest.raises(KeyError, match="copy.*parity"):
        get_task("nope")


@pytest.mark.parametrize("name", ["parity", "copy", "binary_sum"])
def test_varied_bit_density_covers_sparse_and_dense_inputs(name: str) -> None:
    task = get_task(name, bit_density="varied")
    batch = task.sample(40, 2000, np.random.default_rng(0))
    prompts = task.decode_prompts(batch)
    ones = np.array([p.count("1") for p in prompts])
    assert (ones <= 5).sum() > 50 and (ones >= 35).sum() > 50  # uniform bits give essentially none of either
    assert task.decode_answers(batch.targets, batch.answer_start) == [task.solve(p) for p in prompts]


def test_bad_bit_density_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="bit_density must be 'uniform' or 'varied'"):
        get_task("parity", bit_density="dense")


def test_varied_alphabets_repeat_values_at_short_lengths_and_use_every_value_alike() -> None:
    rng = np.random.default_rng(0)
    full, varied = (get_task("unique_set", alphabet=a).sample(4, 4000, rng) for a in ("full", "varied"))
    repeated = [np.mean([len(set(row.tolist())) < 4 for row in b.inputs[:, :4]]) for b in (full, varied)]
    # P(some value repeats among 4 drawn from k): 1 - k(k-1)(k-2)(k-3)/k^4; k = 50, or uniform over 1..50
    distinct = [math.prod((k - i) / k for i in range(4)) for k in range(1, 51)]
    assert repeated[0] == pytest.approx(1 - distinct[-1], abs=0.03)  # 0.117
    assert repeated[1] == pytest.approx(1 - sum(distinct) / 50, abs=0.03)  # 0.327
    counts = np.bincount(varied.inputs[:, :4].flatten().numpy(), minlength=50)[:50]
    assert counts.min() > 0.7 * counts.mean() and counts.max() < 1.3 * counts.mean()


def test_bad_alphabet_and_unknown_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="alphabet must be 'full' or 'varied'"):
        get_task("unique_set", alphabet="small")
    with pytest.raises(ValueError, match="bad task_options for copy: .*'alphabet'"):
        get_task("copy", alphabet="varied")
