"""PNG plots from result dictionaries (the same dictionaries that are written as JSON)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _fit_titles(figure: plt.Figure) -> None:
    """Titles name run folders, whose paths run wider than the plot: wrap them onto lines that fit."""
    characters_per_line = int(figure.get_figwidth() * 10)
    for axis in figure.axes:
        if title := axis.get_title():
            axis.set_title(textwrap.fill(title, characters_per_line))


def _save(figure: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _fit_titles(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def plot_accuracy(result: dict, path: Path, title: str = "", train_max: int | None = None) -> Path:
    """Accuracy against length, one line per stopping rule, training range shaded."""
    figure, axis = plt.subplots(figsize=(6, 3.8))
    if train_max:
        axis.axvspan(0.5, train_max + 0.5, color="0.92", label=f"trained n <= {train_max}")
    for name, rule in result["rules"].items():
        axis.plot(result["lengths"], rule["accuracy"], marker="o", markersize=3, label=name)
    axis.set(xlabel="input length n", ylabel="exact-match accuracy", ylim=(-0.02, 1.02), title=title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, path)


def plot_step_profile(profile: dict, path: Path, title: str = "") -> Path:
    """Accuracy and confidence against loop count at one length; the oracle step T(n) marked."""
    figure, axis = plt.subplots(figsize=(6, 3.8))
    axis.plot(profile["steps"], profile["accuracy"], label="accuracy")
    axis.plot(profile["steps"], profile["mean_max_probability"], label="mean max probability", linestyle="--")
    if "witness_accuracy" in profile:
        axis.plot(profile["steps"], profile["witness_accuracy"], color="C3", alpha=0.7, label="witness accuracy")
    if "halting_probability" in profile:
        axis.plot(profile["steps"], profile["halting_probability"], color="C2", label='mean P("stop here")')
    if "halting_stop_share" in profile:
        axis.bar(profile["steps"], profile["halting_stop_share"], color="C2", alpha=0.3, label="halting rule stops")
    axis.axvline(profile["oracle_steps"], color="black", linestyle=":", label=f"T(n) = {profile['oracle_steps']}")
    axis.set(xlabel="loop iterations", ylim=(-0.02, 1.02), title=title or f"n = {profile['length']}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, path)


def plot_methods(runs: dict[str, list[dict]], path: Path, title: str = "", train_max: int | None = None) -> Path:
    """Accuracy against length, one line per method (mean over seeds, min-max band shaded): looped methods
    with confidence-per-example stopping and their oracle dashed, baselines at their fixed depth."""
    figure, axis = plt.subplots(figsize=(7, 4.2))
    if train_max:
        axis.axvspan(0.5, train_max + 0.5, color="0.92", label=f"trained n <= {train_max}")
    for index, (method, results) in enumerate(runs.items()):
        color = f"C{index}"
        lengths = sorted(set.intersection(*(set(r["lengths"]) for r in results)))
        names = [name for name in ("confidence-per-example", "oracle") if name in results[0]["rules"]]
        for name in names or list(results[0]["rules"])[:1]:
            curves = np.array([[r["rules"][name]["accuracy"][r["lengths"].index(n)] for n in lengths] for r in results])
            dashed = name == "oracle" and len(names) > 1
            label = f"{method} ({name})" if names else method
            axis.plot(
                lengths,
                curves.mean(axis=0),
                color=color,
                linestyle="--" if dashed else "-",
                marker="o",
                markersize=2.5,
                label=label,
            )
            axis.fill_between(lengths, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.15, linewidth=0)
    axis.set(xlabel="input length n", ylabel="exact-match accuracy", ylim=(-0.02, 1.02), title=title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    return _save(figure, path)


def plot_training(runs: dict[str, list[dict]], path: Path, title: str = "") -> Path:
    """Training curves of one or more runs (label -> metrics.jsonl records), saved as a PNG."""
    return _save(training_figure(runs, title), path)


def training_figure(runs: dict[str, list[dict]], title: str = "") -> plt.Figure:
    """Batch loss, the curriculum's longest length with the accuracy of its checks (faint dots, right scale: a
    curriculum that waits just below its threshold looks different from one that has not learnt the length;
    the scale is left out when no run logged checks), and every validation accuracy, on a shared step axis;
    one colour per run, one line style per validation length and rule, so that a screen's runs can be read
    side by side."""
    figure, (loss_axis, length_axis, val_axis) = plt.subplots(3, 1, figsize=(7, 8), sharex=True)
    check_axis = length_axis.twinx()
    styles = ["-", "--", ":", "-."]
    for index, (label, records) in enumerate(runs.items()):
        color = f"C{index % 10}"
        logged = [r for r in records if "loss" in r]
        loss_axis.plot([r["step"] for r in logged], [r["loss"] for r in logged], color=color, lw=0.8, label=label)
        reached = [r for r in records if "curriculum_max" in r]
        steps, lengths = [r["step"] for r in reached], [r["curriculum_max"] for r in reached]
        length_axis.step(steps, lengths, where="post", color=color, label=label)
        checks = [r for r in records if "check_accuracy" in r]
        if checks:
            check_axis.plot(
                [r["step"] for r in checks],
                [r["check_accuracy"] for r in checks],
                ".",
                color=color,
                markersize=2,
                alpha=0.3,
            )
        keys = sorted({key for r in records for key in r if key.startswith("val_accuracy/")})
        for key_index, key in enumerate(keys):
            points = [r for r in records if key in r]
            name = key.removeprefix("val_accuracy/").replace("/", ", n = ")
            val_axis.plot(
                [r["step"] for r in points],
                [r[key] for r in points],
                color=color,
                linestyle=styles[key_index % len(styles)],
                marker="o",
                markersize=2,
                label=f"{label}: {name}" if len(runs) > 1 else name,
            )
    loss_axis.set(ylabel="batch loss", yscale="log", title=title)
    length_axis.set(ylabel="curriculum: longest n")
    if check_axis.lines:
        check_axis.set(ylabel="check accuracy (dots)", ylim=(-0.02, 1.02))
    else:
        check_axis.remove()
    val_axis.set(xlabel="training step", ylabel="validation accuracy", ylim=(-0.02, 1.02))
    for axis in (loss_axis, length_axis, val_axis):
        axis.grid(alpha=0.3)
    if len(runs) > 1:
        length_axis.legend(fontsize=7)
    if val_axis.lines:
        val_axis.legend(fontsize=7)
    return figure
