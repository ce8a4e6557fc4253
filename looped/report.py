"""Terminal tables for training summaries and evaluation results."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console()


def print_summary(summary: dict, out: Path) -> None:
    table = Table(title=f"{summary['task']} ({summary['method']}, seed {summary['seed']})", show_header=False)
    rows = [
        ("steps", summary["steps"]),
        ("wall-clock", f"{summary['train_seconds']:.0f} s"),
        ("curriculum max", summary["curriculum_max"]),
        ("final loss", f"{summary['final_loss']:.4f}" if summary["final_loss"] is not None else "-"),
        ("best step", summary["best_step"]),
        ("best validation score", f"{summary['best_score']:.4f}"),
        ("parameters", f"{summary['parameters']:,}"),
        ("best model", str(out / "best")),
    ]
    for key, value in summary["best_validation"].items():
        if key.startswith("val_accuracy/"):
            rows.append((key.removeprefix("val_accuracy/"), f"{value:.4f}"))
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)


def print_accuracy(result: dict, title: str) -> None:
    table = Table(title=title)
    table.add_column("length", justify="right")
    for name in result["rules"]:
        table.add_column(f"{name} acc", justify="right")
        table.add_column("steps", justify="right")
    for index, length in enumerate(result["lengths"]):
        cells = [str(length)]
        for rule in result["rules"].values():
            cells += [f"{rule['accuracy'][index]:.4f}", f"{rule['mean_steps'][index]:.1f}"]
        table.add_row(*cells)
    console.print(table)
