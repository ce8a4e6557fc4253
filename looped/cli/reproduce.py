"""`looped reproduce`: train every (task, method, seed) from configs/<task>.yaml with the method swapped in,
evaluate accuracy against length, and write one JSON per run, a Markdown table and one plot per task.

Run directories go under <runs>/<task>/<method>/seed<S>: finished runs (summary.json) are not retrained,
interrupted ones (last/trainer_state.pt) are resumed, so the command can be stopped and started again; a run
directory or result file left by another recipe is an error, never reported as this one. `--first_seed` lets
several invocations share the seeds of one table, one process each.
Results: <out>/<task>/<method>/seed<S>.json, <out>/RESULTS.md (from every result JSON under <out>) and
<out>/<task>/accuracy.png.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import Namespace
from jsonargparse.typing import NonNegativeInt, PositiveInt

from looped.cli.options import add_device_arguments, add_progress_argument, parse_lengths
from looped.config import RECIPES, RunConfig
from looped.results import default_test_lengths, headline_length, write_report

ALL_TASKS = "parity,copy,addition,multiplication,binary_sum,unique_set"
ALL_METHODS = "looped,looped-no-injection,ntp,ntp-pause,ntp-looped,fap-pause"
LOOPED_RULES = ("oracle", "confidence", "confidence-per-example")


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("--tasks", type=str, default=ALL_TASKS, help="comma-separated task names")
    parser.add_argument("--methods", type=str, default=ALL_METHODS, help="comma-separated method names")
    parser.add_argument("--seeds", type=PositiveInt, default=3, help="N seeds per task and method")
    parser.add_argument("--first_seed", type=NonNegativeInt, default=0, help="the seeds are S .. S+N-1")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results folder")
    parser.add_argument("--runs", type=Path, default=Path("runs/reproduce"), help="run directories")
    parser.add_argument("--samples", type=PositiveInt, default=1000, help="fresh test examples per length")
    parser.add_argument(
        "--lengths",
        type=str | None,
        default=None,
        help="test lengths (default: 1 .. train max, then every 5th up to twice it and the headline)",
    )
    parser.add_argument("--max_steps", type=PositiveInt | None, default=None, help="train.max_steps for every run")
    parser.add_argument(
        "--override", type=dict[str, Any], default={}, help="merged into every recipe, e.g. '{model: {d_model: 32}}'"
    )
    add_device_arguments(parser)
    add_progress_argument(parser)
    return parser


def merge(base: dict, update: dict) -> dict:
    """`update` merged into `base`, nested dictionaries key by key."""
    merged = dict(base)
    for key, value in update.items():
        merged[key] = (
            merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def run_config(task: str, method: str, seed: int, args: Namespace) -> RunConfig:
    """The task's recipe (or the defaults, with a note, when it has none), the method and seed, the overrides.
    Halting and witness heads in the recipe are the looped model's: baselines, whose depth is fixed, are built
    without them."""
    from looped.methods import get_method
    from looped.report import console

    recipe_file = RECIPES / f"{task}.yaml"
    if recipe_file.is_file():
        recipe = yaml.safe_load(recipe_file.read_text()) or {}
    else:
        console.print(f"[yellow]note:[/] no {recipe_file}; {task} uses the default run config", soft_wrap=True)
        recipe = {}
    overrides: dict[str, Any] = {"task": task, "method": method, "seed": seed}
    if args.max_steps is not None:
        overrides["train"] = {"max_steps": int(args.max_steps)}
    config = RunConfig.from_dict(merge(merge(recipe, dict(args.override)), overrides))
    if not get_method(method).uses_stopping:
        config.model.halting_head = config.model.witness_head = False
    return config


def train(config: RunConfig, run_dir: Path, device: Any, progress: bool) -> dict:
    """The run's summary: read when finished, else trained (resumed from last/ when interrupted)."""
    from looped.cli.train import prepare_run_dir, warn_about_schedule
    from looped.training.checkpoint import TRAINER_STATE
    from looped.training.trainer import Trainer

    finished = (run_dir / "summary.json").is_file()
    resume = (run_dir / "last" / TRAINER_STATE).is_file()
    if finished or resume:
        check_same_recipe(yaml.safe_load((run_dir / "config.yaml").read_text()), config, run_dir, "folder")
    if finished:
        return json.loads((run_dir / "summary.json").read_text())
    if not resume and run_dir.exists():
        shutil.rmtree(run_dir)  # stopped before its first checkpoint: nothing to keep
    config = prepare_run_dir(run_dir, config, resume)
    warn_about_schedule(config)
    return Trainer(config, run_dir, device=device, resume=resume, show_progress=progress).run()


def check_same_recipe(saved: dict, config: RunConfig, path: Path, kind: str) -> None:
    """A run directory or result file left by another recipe must not be reported (or resumed) as this one."""
    from looped.errors import LoopedError

    # Fields added to the config since `saved` was written take their defaults: the recipe did not set them.
    before, wanted = flatten(RunConfig.from_dict(saved).to_dict()), flatten(config.to_dict())
    changed = [f"{key} {before.get(key)!r} -> {wanted.get(key)!r}" for key in wanted if before.get(key) != wanted[key]]
    if changed:
        option = "--runs" if kind == "folder" else "--out"
        raise LoopedError(
            f"{path} was trained with another recipe ({'; '.join(changed)}); "
            f"delete that {kind} to retrain it, or pass another {option}"
        )


def flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    """{'train.lr': 3e-4, ...} from a nested config."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and key != "task_options":
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def evaluate(run_dir: Path, lengths: list[int], samples: int, device: Any, progress: bool) -> dict:
    """Accuracy against length of the run's best model; multiplication is tested with 2-bit first operands."""
    from rich.progress import Progress

    from looped.api import LoopedTransformer
    from looped.evaluation import accuracy_by_length
    from looped.report import console
    from looped.tasks import get_task

    model = LoopedTransformer.from_pretrained(run_dir, device=device)
    config = model.config
    options = dict(config.task_options)
    if config.task == "multiplication":
        options["first_operand_bits"] = 2
    names = LOOPED_RULES + (("halting",) if config.model.halting_head else ())
    rules = model.method.rules(names, config.confidence_extra_steps)
    with Progress(console=console, transient=True, disable=not progress) as bar:
        job = bar.add_task(f"evaluating {config.task} {config.method}", total=len(lengths) * len(rules))
        return accuracy_by_length(
            model.model,
            get_task(config.task, **options),
            lengths,
            rules,
            samples,
            seed=12345,
            device=model.device,
            progress=lambda: bar.advance(job),
            method=model.method,
        )


def command_line(args: Namespace) -> str:
    """The invocation, rebuilt from its parsed options (the same whether called from a shell or in-process)."""
    parts = ["looped reproduce", f"--tasks {args.tasks}", f"--methods {args.methods}", f"--seeds {args.seeds}"]
    if args.first_seed:
        parts.append(f"--first_seed {args.first_seed}")
    parts += [f"--samples {args.samples}", f"--out {args.out}", f"--runs {args.runs}"]
    if args.lengths:
        parts.append(f"--lengths {args.lengths}")
    if args.max_steps:
        parts.append(f"--max_steps {args.max_steps}")
    if args.override:
        parts.append(f"--override '{json.dumps(dict(args.override))}'")
    if args.device != "auto":
        parts.append(f"--device {args.device}")
    if args.threads:  # train times depend on it
        parts.append(f"--threads {args.threads}")
    return " ".join(parts)


def run(args: Namespace) -> None:
    from looped.devices import resolve_device, set_threads
    from looped.methods import get_method
    from looped.report import console
    from looped.tasks import get_task
    from looped.training.checkpoint import write_json

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for task in tasks:
        get_task(task)
    for method in methods:
        get_method(method)
    device = resolve_device(args.device)
    set_threads(args.threads)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(task, method, seed) for task in tasks for method in methods for seed in seeds]
    spent: list[float] = []  # seconds of the jobs done in this invocation, for the time estimate
    for index, (task, method, seed) in enumerate(jobs, start=1):
        result_file = args.out / task / method / f"seed{seed}.json"
        remaining = len(jobs) - index
        left = f", about {sum(spent) / len(spent) * (remaining + 1) / 60:.0f} min left" if spent else ""
        config = run_config(task, method, seed, args)
        if result_file.is_file():
            recorded = json.loads(result_file.read_text()).get("config")
            if recorded is not None:
                check_same_recipe(recorded, config, result_file, "file")
            else:  # written before result files recorded their config: taken as they are, but never silently
                console.print(
                    f"[yellow]note:[/] {result_file} records no config, so its recipe is not checked; "
                    "delete it to rerun it with this one",
                    soft_wrap=True,
                )
            console.print(f"[dim][{index}/{len(jobs)}] {task} / {method} / seed {seed}: done already[/]")
            continue
        console.rule(f"[{index}/{len(jobs)}] {task} / {method} / seed {seed}  ({remaining} more after this{left})")
        began = time.perf_counter()
        run_dir = args.runs / task / method / f"seed{seed}"
        summary = train(config, run_dir, device, args.progress)
        train_max = config.curriculum.max_length
        headline = headline_length(task, train_max)
        lengths = parse_lengths(args.lengths) if args.lengths else default_test_lengths(task, train_max)
        evaluated = time.perf_counter()
        accuracy = evaluate(run_dir, lengths, args.samples, device, args.progress)
        record = {
            "task": task,
            "method": method,
            "seed": seed,
            "checkpoint": str(run_dir),
            "command": command_line(args),
            "train_max": train_max,
            "headline_length": headline,
            "curriculum_reached": summary["curriculum_max"],
            "restarts": summary.get("restarts", 0),
            "train_seconds": summary["train_seconds"],
            "eval_seconds": round(time.perf_counter() - evaluated, 1),
            "config": config.to_dict(),
            **accuracy,
        }
        write_json(result_file, record)
        spent.append(time.perf_counter() - began)
        console.print(f"wrote {result_file}")
    write_report(args.out, tasks)
