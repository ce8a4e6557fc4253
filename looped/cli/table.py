"""`looped table`: rewrite <out>/RESULTS.md and every task's accuracy plot from the result JSON files that
`looped reproduce` left there, without training or evaluating anything (after adding or deleting a result
file, or to see the table of results someone else produced)."""

from __future__ import annotations

from pathlib import Path

from jsonargparse import Namespace

from looped.errors import LoopedError


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("results"), help="the folder `looped reproduce` wrote to")
    return parser


def run(args: Namespace) -> None:
    from looped.results import RESULT_FILES, write_report

    if not any(args.out.glob(RESULT_FILES)):
        raise LoopedError(
            f"no result files <task>/<method>/seed<S>.json under {args.out}; run `looped reproduce` first"
        )
    write_report(args.out)
