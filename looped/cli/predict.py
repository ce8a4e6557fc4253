"""`looped predict`: answer typed prompts (arguments, or one per line of --input), one JSON line each."""

from __future__ import annotations

import json
from pathlib import Path

from jsonargparse import Namespace

from looped.cli.options import add_device_arguments
from looped.errors import LoopedError


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True, help="run directory or model folder")
    parser.add_argument("--stopping", type=str, default="confidence-per-example")
    parser.add_argument("--input", type=Path | None, default=None, help="file with one prompt per line")
    parser.add_argument("prompts", nargs="*", type=str, help="prompts in the task's text form")
    add_device_arguments(parser)
    return parser


def read_prompts(args: Namespace) -> list[str]:
    prompts = list(args.prompts)
    if args.input is not None:
        if not args.input.is_file():
            raise LoopedError(f"--input {args.input} is not a readable file; give a text file with one prompt per line")
        prompts += [line.strip() for line in args.input.read_text().splitlines() if line.strip()]
    if not prompts:
        raise LoopedError("no prompts given; pass them as arguments or with --input FILE")
    return prompts


def run(args: Namespace) -> None:
    from looped.api import LoopedTransformer
    from looped.devices import resolve_device, set_threads

    prompts = read_prompts(args)
    set_threads(args.threads)
    model = LoopedTransformer.from_pretrained(args.checkpoint, device=resolve_device(args.device))
    for index, prompt in enumerate(prompts, start=1):
        try:
            model.task.parse(prompt)
        except ValueError as error:
            raise LoopedError(f"prompt {index} ({prompt!r}): {error}") from None
    for solution in model.solve(prompts, stopping=args.stopping):
        print(json.dumps({"prompt": solution.prompt, "answer": solution.answer, "steps": solution.steps}))
