"""`looped eval`: accuracy against length per stopping rule, and optionally the per-step view at one length.

Writes accuracy.json + accuracy.png (and steps_<n>.json + steps_<n>.png) into --out, default <checkpoint>/eval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jsonargparse import Namespace
from jsonargparse.typing import PositiveInt

from looped.cli.options import add_device_arguments, add_progress_argument, parse_lengths
from looped.errors import LoopedError


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True, help="run directory or model folder")
    parser.add_argument("--lengths", type=str, required=True, help="e.g. 10,20,40 or 1-40 or 10-50:10")
    parser.add_argument("--stopping", type=str, default="oracle,confidence,confidence-per-example")
    parser.add_argument("--samples", type=PositiveInt, default=1000, help="fresh examples per length")
    parser.add_argument("--seed", type=int, default=12345, help="seed of the evaluation examples")
    parser.add_argument(
        "--task_options",
        type=dict[str, Any],
        default={},
        help="evaluate on the task with these options over the checkpoint's own, e.g. '{first_operand_bits: 2}' "
        "(the table's multiplication protocol); an option that changes the layout or T(n) asks the model for "
        "something it was not trained on",
    )
    parser.add_argument("--profile", type=PositiveInt | None, default=None, help="also the per-step view at this n")
    parser.add_argument("--profile_steps", type=PositiveInt | None, default=None, help="default: T(n) + 30")
    parser.add_argument("--out", type=Path | None, default=None, help="output folder (default <checkpoint>/eval)")
    add_device_arguments(parser)
    add_progress_argument(parser)
    return parser


def run(args: Namespace) -> None:
    from rich.progress import Progress

    from looped.api import LoopedTransformer
    from looped.devices import resolve_device, set_threads
    from looped.evaluation import accuracy_by_length, step_profile
    from looped.plots import plot_accuracy, plot_step_profile
    from looped.report import console, print_accuracy
    from looped.tasks import get_task
    from looped.training.checkpoint import ensure_folder, resolve_model_folder, write_json

    lengths = parse_lengths(args.lengths)
    set_threads(args.threads)
    model = LoopedTransformer.from_pretrained(args.checkpoint, device=resolve_device(args.device))
    if args.profile and not model.method.uses_stopping:
        raise LoopedError(f"--profile needs a looped model; this checkpoint's method is {model.config.method!r}")
    rules = [model.stopping_rule(spec) for spec in args.stopping.split(",")]
    task_options = {**model.config.task_options, **args.task_options}
    task = get_task(model.config.task, **task_options)
    out = args.out or resolve_model_folder(args.checkpoint) / "eval"
    ensure_folder(out)  # fail before the evaluation, not after it
    label = f"{model.config.task} ({resolve_model_folder(args.checkpoint)})"

    with Progress(console=console, transient=True, disable=not args.progress) as progress:
        bar = progress.add_task("evaluating", total=len(lengths) * len(rules))
        result = accuracy_by_length(
            model.model,
            task,
            lengths,
            rules,
            args.samples,
            seed=args.seed,
            device=model.device,
            progress=lambda: progress.advance(bar),
            method=model.method,
        )
    header = {"task": model.config.task, "task_options": task_options, "checkpoint": str(args.checkpoint)}
    result = {**header, "seed": args.seed, **result}
    write_json(out / "accuracy.json", result)
    plot_accuracy(result, out / "accuracy.png", title=label, train_max=model.config.curriculum.max_length)
    print_accuracy(result, label)
    console.print(f"wrote {out / 'accuracy.json'} and {out / 'accuracy.png'}")

    if args.profile:
        steps = args.profile_steps or task.steps(args.profile) + 30
        profile = step_profile(
            model.model, task, args.profile, steps, args.samples, seed=args.seed, device=model.device
        )
        write_json(out / f"steps_{args.profile}.json", profile)
        plot_step_profile(profile, out / f"steps_{args.profile}.png", title=f"{label}, n = {args.profile}")
        console.print(f"wrote {out / f'steps_{args.profile}.json'} and its plot")
