"""`looped data`: generated examples as JSON lines, decoded from the generated rows (not from `solve`)."""

from __future__ import annotations

import json

from jsonargparse import Namespace
from jsonargparse.typing import PositiveInt

from looped.cli.options import add_task_arguments


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    add_task_arguments(parser)
    parser.add_argument("--length", type=PositiveInt, required=True, help="input size n")
    parser.add_argument("--count", type=PositiveInt, required=True, help="number of examples")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def run(args: Namespace) -> None:
    import numpy as np

    from looped.tasks import get_task

    task = get_task(args.task, **args.task_options)
    batch = task.sample(args.length, args.count, np.random.default_rng(args.seed))
    prompts = task.decode_prompts(batch)
    answers = task.decode_answers(batch.targets, batch.answer_start)
    for prompt, answer in zip(prompts, answers, strict=True):
        print(json.dumps({"prompt": prompt, "answer": answer}))
