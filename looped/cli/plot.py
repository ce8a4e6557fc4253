"""`looped plot`: redraw every plot from the results JSON files under the given paths (default results/).

An accuracy file (keys lengths, rules; what `looped eval` writes) becomes the accuracy-against-length plot and
a step profile (keys steps, accuracy, oracle_steps; `looped eval --profile`) the per-step plot, each written
next to its JSON with the same stem and .png. Other JSON files are left alone; unreadable ones are skipped
with a warning.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jsonargparse import Namespace

from looped.errors import LoopedError


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=str, help="JSON files or folders, searched recursively")
    return parser


def json_files(paths: list[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise LoopedError(f"no such file or folder: {', '.join(missing)}; pass result JSON files or folders")
    found: list[Path] = []
    for path in paths:
        found += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    return list(dict.fromkeys(found))


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


def warn(message: str) -> None:
    print(f"looped: warning: {message}", file=sys.stderr)


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


def run(args: Namespace) -> None:
    from looped.report import console

    paths = [Path(p) for p in (args.paths or ["results"])]
    drawn = [png for png in map(redraw, json_files(paths)) if png is not None]
    for png in drawn:
        console.print(f"wrote {png}")
    console.print(f"redrew {len(drawn)} plot(s) from {', '.join(map(str, paths))}")
