"""The `looped` command: one entry point, one module per subcommand.

Every user-facing failure (bad argument, malformed prompt, missing or corrupt checkpoint) ends as one line
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module

from jsonargparse import ArgumentParser

from looped.errors import LoopedError

COMMANDS = {
    "data": "Print generated examples as JSON lines.",
    "train": "Train a model from a recipe.",
    "eval": "Accuracy against length for a checkpoint, per stopping rule.",
    "predict": "Answer typed prompts with a trained model.",
    "plot": "Redraw every plot from results JSON files and training logs.",
    "reproduce": "Train and evaluate the looped model and the baselines on every task.",
    "table": "Rewrite the results table and plots from result JSON files, without training.",
}


class Parser(ArgumentParser):
    """jsonargparse, but errors are one line: `looped: error: ...`."""

    def error(self, message: str, ex: Exception | None = None):  # type: ignore[override]
        fail(" ".join(line.strip() for line in message.splitlines() if line.strip()))


def fail(message: str) -> None:
    print(f"looped: error: {message}", file=sys.stderr)
    sys.exit(2)


def warn(message: str) -> None:
    """A setting or input that is allowed but probably not meant: said once on stderr, and the command goes on."""
    print(f"looped: warning: {message}", file=sys.stderr)


def build_parser() -> Parser:
    root = Parser(prog="looped", description="Looped Transformers that length-generalize.")
    subcommands = root.add_subcommands(dest="command")
    for name, help_text in COMMANDS.items():
        module = import_module(f"looped.cli.{name.replace('eval', 'evaluate')}")
        subcommands.add_subcommand(name, module.parser(), help=help_text)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "train":
            from looped.cli.train import recipe_first

            argv = recipe_first(argv)
        args = build_parser().parse_args(argv)
        command = args.command
        import_module(f"looped.cli.{command.replace('eval', 'evaluate')}").run(args[command])
    except (LoopedError, ValueError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        fail(str(message))
    except KeyboardInterrupt:
        fail("interrupted")
