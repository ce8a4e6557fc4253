"""`looped plot`: redraw every plot from the results JSON files and training logs under the given paths
(default results/).

An accuracy file (keys lengths, rules; what `looped eval` writes) becomes the accuracy-against-length plot and
a step profile (keys steps, accuracy, oracle_steps; `looped eval --profile`) the per-step plot, each written
next to its JSON with the same stem and .png. A run's training log (metrics.jsonl) becomes training.png
beside it: loss, curriculum and validation accuracy against step. `--compare FILE.png` also draws every
training log found into one figure, to read a screen's runs side by side. Other JSON files are left alone;
unreadable ones are skipped with a warning.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from jsonargparse import Namespace

from looped.cli import warn
from looped.errors import LoopedError

METRICS = "metrics.jsonl"  # a run's training log, one JSON record per line


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument(
        "paths", nargs="*", type=str, help="JSON files, metrics.jsonl logs or folders, searched recursively"
    )
    parser.add_argument(
        "--compare", type=str | None, default=None, help="also draw every training log found into this one PNG"
    )
    return parser


def result_files(paths: list[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise LoopedError(f"no such file or folder: {', '.join(missing)}; pass result JSON files, logs or folders")
    found: list[Path] = []
    for path in paths:
        found += sorted([*path.rglob("*.json"), *path.rglob(METRICS)]) if path.is_dir() else [path]
    return list(dict.fromkeys(found))


def read_metrics(path: Path) -> list[dict] | None:
    """The records of a training log, in order; lines that do not parse (a run killed mid-write) are skipped
    with a warning, and a log without any is None."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        warn(f"skipped {path}: not readable ({error.__class__.__name__}: {error})")
        return None
    records, bad = [], 0
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("step"), int):
            records.append(record)
        elif line.strip():
            bad += 1
    if bad:
        warn(f"{path}: skipped {bad} line(s) that are not training records")
    if not records:
        warn(f"skipped {path}: no training records")
        return None
    return records


def kind(data: object) -> str | None:
    if isinstance(data, dict):
        if {"lengths", "rules"} <= data.keys():
            return "accuracy"
        if {"steps", "accuracy", "oracle_steps"} <= data.keys():
            return "profile"
    return None


def training_max(path: Path, data: dict) -> int | None:
    """The longest trained length, shaded in the accuracy plot: from the model folder that was evaluated
    (named in the file, or the folder above `eval/`), if its config can still be read."""
    for folder in (data.get("checkpoint"), path.parent.parent):
        if folder is None:
            continue
        for candidate in (Path(folder), Path(folder) / "best"):
            try:
                config = json.loads((candidate / "config.json").read_text())
                return int(config["curriculum"]["max_length"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
    return None


def redraw(path: Path) -> Path | None:
    """Redraw one file's plot; returns the PNG, or None if the file holds no known result."""
    from looped.plots import plot_accuracy, plot_step_profile

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        warn(f"skipped {path}: not readable JSON ({error.__class__.__name__}: {error})")
        return None
    what = kind(data)
    if what is None:
        return None
    png = path.with_suffix(".png")
    try:
        if what == "accuracy":
            label = data.get("task", "")
            if data.get("checkpoint"):
                label = f"{label} ({data['checkpoint']})"
            return plot_accuracy(data, png, title=label, train_max=training_max(path, data))
        title = f"{data['task']}, n = {data['length']}" if "task" in data and "length" in data else ""
        return plot_step_profile(data, png, title=title)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        import matplotlib.pyplot as plt

        plt.close("all")  # the half-drawn figure
        warn(f"skipped {path}: malformed {what} result ({error.__class__.__name__}: {error})")
        return None


def distinct_names(runs: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The same runs keyed by their folders less the part all of them share, for a legend that fits."""
    common = os.path.commonpath([os.path.abspath(run) for run in runs]) if len(runs) > 1 else None
    return {os.path.relpath(os.path.abspath(run), common): records for run, records in runs.items()}


def run(args: Namespace) -> None:
    from looped.plots import plot_training
    from looped.report import console

    paths = [Path(p) for p in (args.paths or ["results"])]
    if args.compare is not None and Path(args.compare).suffix.lower() != ".png":
        raise LoopedError(f"--compare {args.compare}: give a file name ending in .png")
    files = result_files(paths)
    logs = {f: read_metrics(f) for f in files if f.name == METRICS}
    runs = {str(f.parent): records for f, records in logs.items() if records is not None}
    if args.compare is not None and not runs:
        raise LoopedError(f"--compare: no readable training log ({METRICS}) under {', '.join(map(str, paths))}")
    drawn = [png for png in map(redraw, (f for f in files if f.name != METRICS)) if png is not None]
    drawn += [plot_training({run: records}, Path(run) / "training.png", title=run) for run, records in runs.items()]
    if args.compare is not None:
        drawn.append(plot_training(distinct_names(runs), Path(args.compare)))
    for png in drawn:
        console.print(f"wrote {png}")
    console.print(f"redrew {len(drawn)} plot(s) from {', '.join(map(str, paths))}")
