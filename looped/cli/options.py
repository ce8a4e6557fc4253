"""Arguments shared by several subcommands."""

from __future__ import annotations

from typing import Any

from jsonargparse import ArgumentParser

from looped.tasks import task_names


def add_task_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--task", type=str, required=True, help=f"one of: {', '.join(task_names())}")
    parser.add_argument(
        "--task_options", type=dict[str, Any], default={}, help="task options, e.g. '{first_operand_bits: 1}'"
    )


def parse_lengths(text: str) -> list[int]:
    """'10,20,40' or ranges like '1-40' or '10-40:10' (start-stop:stride), all inclusive."""
    lengths: list[int] = []
    for part in text.split(","):
        span, _, stride = part.strip().partition(":")
        start, dash, stop = span.partition("-")
        try:
            values = range(int(start), int(stop if dash else start) + 1, int(stride or 1))
        except ValueError:
            raise ValueError(f"bad length list {text!r}; use e.g. 10,20,40 or 1-40 or 10-50:10") from None
        lengths.extend(values)
    if not lengths or min(lengths) < 1:
        raise ValueError(f"bad length list {text!r}: lengths must be whole numbers >= 1")
    return lengths


def add_device_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--device", type=str, default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--threads", type=int | None, default=None, help="CPU threads for PyTorch")


def add_progress_argument(parser: ArgumentParser) -> None:
    """Live progress bars can be turned off for logs and batch jobs."""
    parser.add_argument("--progress", type=bool, default=True, help="show live progress bars")
