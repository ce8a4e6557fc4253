"""`looped train`: train one run from a recipe (configs/<task>.yaml by default) plus overrides."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from jsonargparse import ActionConfigFile, Namespace

from looped.cli import warn
from looped.cli.options import add_device_arguments, add_progress_argument
from looped.config import RECIPES, RunConfig
from looped.errors import LoopedError
from looped.training.checkpoint import ensure_folder


def parser():
    from looped.cli import Parser

    parser = Parser(description=__doc__)
    parser.add_argument("--config", action=ActionConfigFile, help="recipe YAML (default: configs/<task>.yaml)")
    parser.add_class_arguments(RunConfig, nested_key=None)
    parser.add_argument("--out", type=Path | None, default=None, help="run directory (default: runs/<task>-seed<S>)")
    parser.add_argument("--resume", type=bool, default=False, help="continue the interrupted run in --out")
    parser.add_argument("--tensorboard", type=bool, default=False, help="also log TensorBoard scalars")
    parser.add_argument("--compile", type=bool, default=False, help="torch.compile the block stack")
    add_device_arguments(parser)
    add_progress_argument(parser)
    return parser


def recipe_first(argv: list[str]) -> list[str]:
    """Put the recipe (--config, or the task's own configs/<task>.yaml) before every other flag, so that flags
    override the recipe wherever they are written: `--task copy --config configs/parity.yaml` trains copy."""
    rest = list(argv[1:])
    for i, arg in enumerate(rest):
        if arg.startswith("--config="):
            return [argv[0], rest.pop(i), *rest]
        if arg == "--config" and i + 1 < len(rest):
            recipe = rest[i + 1]
            del rest[i : i + 2]
            return [argv[0], "--config", recipe, *rest]
    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument("--task")
    task = peek.parse_known_args(rest)[0].task
    recipe_file = RECIPES / f"{task}.yaml"
    return [argv[0], "--config", str(recipe_file), *rest] if task and recipe_file.is_file() else argv


def run_config(args: Namespace) -> RunConfig:
    fields = {name: args[name] for name in RunConfig.__dataclass_fields__}
    for nested in ("model", "curriculum", "train"):
        fields[nested] = dict(vars(fields[nested]))
    return RunConfig.from_dict(fields)


def prepare_run_dir(out: Path, config: RunConfig, resume: bool) -> RunConfig:
    """A new run never touches an existing directory; --resume continues one with its saved config."""
    saved = out / "config.yaml"
    if resume:
        if not saved.is_file():
            raise LoopedError(f"nothing to resume in {out}: no config.yaml; drop --resume to start a new run")
        return RunConfig.from_dict(yaml.safe_load(saved.read_text()))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LoopedError(f"run directory {out} already exists; pass --resume to continue it or choose another --out")
    ensure_folder(out)
    saved.write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
    return config


def warn_about_schedule(config: RunConfig) -> None:
    """A decay as long as the run starts at step 0, so the curriculum grows at a falling rate: easy to do by
    cutting max_steps for a quick screen, and it changes what the screen measures."""
    train = config.train
    if train.decay_steps >= train.max_steps:
        warn(
            f"train.decay_steps ({train.decay_steps}) is not below train.max_steps ({train.max_steps}), so the "
            "learning rate decays from the first step; cut train.decay_steps with train.max_steps to keep a "
            "constant rate while the curriculum grows"
        )


def run(args: Namespace) -> None:
    from looped.devices import resolve_device, set_threads
    from looped.report import print_summary
    from looped.training.distributed import is_main_process
    from looped.training.trainer import Trainer, initial_weights, task_and_method, training_task

    config = run_config(args)
    training_task(config, task_and_method(config)[0])  # fail on a bad task, method, head or data option first
    if config.train.init_from is not None and not args.resume:
        initial_weights(Path(config.train.init_from), config)  # and on weights that do not fit
    out = args.out or Path("runs") / f"{config.task}-seed{config.seed}"
    device = resolve_device(args.device)
    set_threads(args.threads)
    if args.resume or is_main_process():  # under torchrun, rank 0 alone creates the run directory
        config = prepare_run_dir(out, config, args.resume)
    if is_main_process():
        warn_about_schedule(config)
    trainer = Trainer(
        config,
        out,
        device=device,
        resume=args.resume,
        show_progress=args.progress,
        tensorboard=args.tensorboard,
        compile_model=args.compile,
    )
    summary = trainer.run()
    if is_main_process():
        print_summary(summary, out)
