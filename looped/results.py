"""The results table: `<out>/RESULTS.md` and one accuracy plot per task, from the result JSON files that
`looped reproduce` writes (<out>/<task>/<method>/seed<S>.json), so the table can be rewritten without training.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from statistics import fmean

RESULT_FILES = "*/*/seed*.json"  # <out>/<task>/<method>/seed<S>.json


def truncated(accuracy: float) -> str:
    """Three decimals, cut rather than rounded, so that a figure is never shown higher than it is."""
    return f"{math.floor(accuracy * 1000 + 1e-9) / 1000:.3f}"


def headline_length(task: str, train_max: int) -> int:
    """The length the table reports: where the paper shows the looped model generalizing."""
    return {"parity": 40, "multiplication": 16}.get(task, train_max + 10)


def default_test_lengths(task: str, train_max: int, stride: int = 5) -> list[int]:
    """Every length the run trained on, then every `stride`-th beyond it up to twice the training maximum (and the
    headline): the cost of a length grows with its cube (sequence, loop count and attention), so testing every
    length past the range would take most of a run's time on a CPU while adding little to the curve."""
    longest = max(2 * train_max, headline_length(task, train_max))
    beyond = range(train_max + stride, longest, stride)
    return sorted({*range(1, train_max + 1), *beyond, headline_length(task, train_max), longest})


def target_accuracy(task: str) -> float:
    """The bar the looped model should clear at the headline length, per-example confidence, over 3 seeds."""
    return 0.99 if task == "parity" else 0.95


def span(values: Iterable[int]) -> str:
    """'20', or '5-7' where seeds differ; '-' for none (results written before the length was recorded)."""
    ordered = sorted(values)
    if not ordered:
        return "-"
    low, high = ordered[0], ordered[-1]
    return f"{low}" if low == high else f"{low}-{high}"


def headline_scores(runs: list[dict], rule: str, length: int) -> list[float]:
    """Each run's accuracy under `rule` at `length`."""
    return [r["rules"][rule]["accuracy"][r["lengths"].index(length)] for r in runs]


def baseline_rule(runs: list[dict]) -> str:
    """How a baseline is compared with the bar: fixed-depth methods have one reading, a loop that stops
    (looped-no-injection) is read with the rule the bar is judged on."""
    return "fixed-depth" if "fixed-depth" in runs[0]["rules"] else "confidence-per-example"


def verdict(task: str, methods: dict[str, list[dict]], length: int) -> tuple[str, list[float]]:
    """'met', 'not met' or 'not run' for the looped model's bar: every one of at least 3 seeds at or above it,
    with the per-example confidence scores it was judged on."""
    runs = methods.get("looped", [])
    if not runs or "confidence-per-example" not in runs[0]["rules"]:
        return "not run", []
    scores = headline_scores(runs, "confidence-per-example", length)
    return ("met" if len(scores) >= 3 and min(scores) >= target_accuracy(task) else "not met"), scores


def target_line(task: str, methods: dict[str, list[dict]], length: int) -> str:
    """The bar and whether the looped model clears it, in words."""
    head = (
        f"Target: looped, confidence-per-example, at least {target_accuracy(task):.2f} at n = {length} "
        "for each of 3 seeds"
    )
    outcome, scores = verdict(task, methods, length)
    if not scores:
        return f"{head}: {outcome}."
    seeds = f"{len(scores)} seed{'s' if len(scores) > 1 else ''}"
    return f"{head}: {outcome} ({seeds}, min {truncated(min(scores))})."


def first_run(methods: dict[str, list[dict]]) -> dict:
    """Any one run of a task: the facts every run of it shares (lengths tested, training maximum)."""
    return next(iter(methods.values()))[0]


def reported_length(methods: dict[str, list[dict]]) -> int:
    """The headline length, or the longest tested one where the headline length was not tested."""
    first = first_run(methods)
    return first["headline_length"] if first["headline_length"] in first["lengths"] else max(first["lengths"])


def mean_min(scores: list[float]) -> str:
    return f"{truncated(fmean(scores))} / {truncated(min(scores))}" if scores else "-"


def restarts_made(runs: list[dict]) -> int:
    """Restarts over all runs (train.restart_after); results written before restarts existed made none."""
    return sum(r.get("restarts", 0) for r in runs)


def seeds_and_restarts(runs: list[dict]) -> str:
    """'3', or '3 (1 restart)' where runs started again (train.restart_after): the table says so beside the seeds."""
    restarts = restarts_made(runs)
    return f"{len(runs)} ({restarts} restart{'s' * (restarts > 1)})" if restarts else str(len(runs))


def overview(results: dict[str, dict[str, list[dict]]]) -> list[str]:
    """One row per task: the looped model against its bar and the best baseline, at the headline length."""
    lines = [
        "| task | n (trained to) | bar | looped seeds | oracle mean / min | batch confidence mean / min "
        "| per-example confidence mean / min | best baseline (mean) | bar met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task, methods in results.items():
        length = reported_length(methods)
        outcome, per_example = verdict(task, methods, length)
        looped = methods.get("looped", [])
        oracle, batch = (headline_scores(looped, rule, length) if looped else [] for rule in ("oracle", "confidence"))
        baselines = {
            method: fmean(headline_scores(runs, baseline_rule(runs), length))
            for method, runs in methods.items()
            if method != "looped" and runs
        }
        best = max(baselines, key=baselines.get) if baselines else None
        cells = [
            task,
            f"{length} ({first_run(methods)['train_max']})",
            f"{target_accuracy(task):.2f}",
            seeds_and_restarts(looped),
            mean_min(oracle),
            mean_min(batch),
            mean_min(per_example),
            f"{best} {truncated(baselines[best])}" if best else "-",
            outcome,
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return lines


def results_table(results: dict[str, dict[str, list[dict]]], pages: Iterable[str] = ()) -> str:
    """An overview, then per task and method: mean and min over seeds of the accuracy at the headline length,
    per rule; each task in `pages` links its own page (<task>/README.md), where what was tried is written."""
    lines = [
        "# Results",
        "",
        "Written by `looped reproduce` (or `looped table`): exact-match accuracy at each task's headline length "
        "(parity 40, multiplication 16, the others the training maximum + 10; the longest tested length where that "
        "one was not tested), mean and min over seeds, the longest length each run's curriculum reached (min-max "
        "over seeds), the restarts made over all seeds (`train.restart_after`: a run whose curriculum was incomplete "
        "at that step started again from fresh weights) and mean training wall-clock, restarts included. "
        "Fixed-depth baselines ignore stopping rules and are listed under `fixed-depth`; the overview's best "
        "baseline reads the looped model without input injection with per-example confidence, as the bar does. "
        "The bar is the looped model's, with per-example maximum-confidence stopping, for each of 3 seeds.",
        "",
        *overview(results),
    ]
    for task, methods in results.items():
        length = reported_length(methods)
        lines += ["", f"## {task} (n = {length}; trained n <= {first_run(methods)['train_max']})", ""]
        commands = sorted({r["command"] for runs in methods.values() for r in runs})
        lines += ["Produced by:", "", *[f"    {command}" for command in commands], ""]
        lines += [target_line(task, methods, length), ""]
        if task in pages:
            lines += [f"Details, the committed model and what was tried: [`{task}/README.md`]({task}/README.md).", ""]
        lines += [
            "| method | rule | seeds | mean accuracy | min accuracy | curriculum reached | restarts "
            "| mean train time |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for method, runs in methods.items():
            seconds = fmean(r["train_seconds"] for r in runs)
            reached = span(r["curriculum_reached"] for r in runs if "curriculum_reached" in r)
            restarts = restarts_made(runs)
            for rule in runs[0]["rules"]:
                accuracies = headline_scores(runs, rule, length)
                cells = [method, rule, len(runs), truncated(fmean(accuracies)), truncated(min(accuracies)), reached]
                cells += [restarts, f"{seconds:.0f} s"]
                lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines) + "\n"


def collect(out: Path) -> dict[str, dict[str, list[dict]]]:
    """{task: {method: [result per seed]}} from <out>/<task>/<method>/seed*.json."""
    results: dict[str, dict[str, list[dict]]] = {}
    for path in sorted(out.glob(RESULT_FILES)):
        data = json.loads(path.read_text())
        results.setdefault(data["task"], {}).setdefault(data["method"], []).append(data)
    return results


def write_report(out: Path, tasks: Iterable[str] | None = None) -> None:
    """RESULTS.md from every result JSON under `out`, and the accuracy plot of each of `tasks` (all by default)."""
    from looped.plots import plot_methods
    from looped.report import console

    results = collect(out)
    pages = [task for task in results if (out / task / "README.md").is_file()]
    (out / "RESULTS.md").write_text(results_table(results, pages))
    console.print(f"wrote {out / 'RESULTS.md'}")
    for task in results if tasks is None else tasks:
        if task in results:
            train_max = first_run(results[task])["train_max"]
            png = plot_methods(results[task], out / task / "accuracy.png", title=task, train_max=train_max)
            console.print(f"wrote {png}")
