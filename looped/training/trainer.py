"""The training loop: curriculum, step-dependent supervision, schedule, EMA, validation, checkpoints.

Launched by torchrun with several processes it trains data-parallel (see looped.training.distributed):
train.batch_size is the global batch, split evenly over the ranks, and only rank 0 writes anything.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from looped.config import RunConfig
from looped.errors import LoopedError
from looped.evaluation import accuracy_by_length, evaluate_rule, fresh_batches
from looped.methods import Method, get_method
from looped.model import compile_blocks
from looped.stopping import Oracle
from looped.tasks import Batch, Task, get_task
from looped.tasks.base import prepend_fillers, right_pad
from looped.training import distributed
from looped.training.checkpoint import (
    load_trainer_state,
    read_model_folder,
    save_model_folder,
    save_trainer_state,
    write_json,
)
from looped.training.curriculum import Curriculum
from looped.training.distributed import LoopedLoss
from looped.training.loss import Supervision, supervision_steps
from looped.training.metrics import MetricsLog
from looped.training.progress import TrainingProgress
from looped.training.schedule import learning_rate

RESTART_SEED_STRIDE = 1_000_003  # attempt k of seed s draws from s + k * stride: no other seed's stream


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Turn the first Ctrl-C into a request to stop at the next step boundary, so the checkpoint written then
    is exactly resumable; a second Ctrl-C interrupts at once. Outside the main thread signals are untouched."""
    requested = False
    if threading.current_thread() is not threading.main_thread():
        yield lambda: requested
        return

    def request(signum: int, frame: object) -> None:
        nonlocal requested
        if requested:
            raise KeyboardInterrupt
        requested = True

    previous = signal.signal(signal.SIGINT, request)
    try:
        yield lambda: requested
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class RunState:
    """What changes as training goes on, besides weights and optimiser moments."""

    step: int = 0
    best_score: float = -1.0
    best_step: int = 0
    best_validation: dict = field(default_factory=dict)
    train_seconds: float = 0.0
    lr_scale: float = 1.0  # product of the cuts made while the curriculum stalled (train.lr_stall_steps)
    stall_start: int = 0  # step of the curriculum's last growth or the last cut
    # Each length the curriculum grew to: the step, and the training seconds before it (the pace of a run).
    reached_at: dict[int, int] = field(default_factory=dict)
    reached_after_seconds: dict[int, float] = field(default_factory=dict)
    attempt: int = 0  # restarts made so far (train.restart_after)
    abandoned_at: list[int] = field(default_factory=list)  # the curriculum's maximum in each abandoned attempt


class NoMetrics:
    """What ranks other than 0 log to: nothing."""

    def write(self, record: dict) -> None:
        pass

    def truncate_after(self, step: int) -> None:
        pass

    def close(self) -> None:
        pass


def task_and_method(config: RunConfig) -> tuple[Task, Method]:
    """The run's task and method, once the model's extra heads are known to fit them (LoopedError if not)."""
    task, method = get_task(config.task, **config.task_options), get_method(config.method)
    for head in ("halting_head", "witness_head"):
        if getattr(config.model, head) and not method.uses_stopping:
            raise LoopedError(
                f"model.{head} only applies to looped methods, not to method {config.method!r} "
                f"(its depth is fixed); drop --model.{head}"
            )
    if config.model.witness_head and not task.has_witness:
        raise LoopedError(
            f"model.witness_head needs a task with a witness answer, and {config.task} has none with these "
            "options; for bit tasks add --task_options '{witness: complement}'"
        )
    return task, method


def training_task(config: RunConfig, task: Task) -> Task:
    """The task training examples are drawn from: the run's, with `train.data_options` over its options."""
    if not config.train.data_options:
        return task
    try:
        return get_task(config.task, **{**config.task_options, **config.train.data_options})
    except ValueError as error:
        raise LoopedError(f"train.data_options: {error}") from None


def initial_weights(path: Path, config: RunConfig) -> dict[str, torch.Tensor]:
    """The weights of a trained model to start a run from, checked to fit the run's method and model."""
    saved, weights, _ = read_model_folder(path)
    if saved.task != config.task:
        raise LoopedError(
            f"train.init_from: {path} was trained on {saved.task}, this run is {config.task}; use a {config.task} model"
        )
    if (saved.method, saved.model) != (config.method, config.model):
        raise LoopedError(
            f"train.init_from: {path} holds a {saved.method} model with {saved.model}, this run builds a "
            f"{config.method} model with {config.model}; pass the same --method and --model.* settings"
        )
    return weights


class Trainer:
    """Trains one run into `out`: `best/` (chosen on validation lengths), `last/` (resumable), metrics.jsonl."""

    def __init__(
        self,
        config: RunConfig,
        out: Path,
        device: torch.device | str = "cpu",
        resume: bool = False,
        show_progress: bool = True,
        tensorboard: bool = False,
        compile_model: bool = False,
    ) -> None:
        self.config = config
        self.out = Path(out)
        train = config.train
        self.world_size = distributed.world_size()
        if train.batch_size % self.world_size:
            nearest = max(train.batch_size // self.world_size, 1) * self.world_size
            raise LoopedError(
                f"train.batch_size ({train.batch_size}) is the global batch and must be divisible by the "
                f"number of processes ({self.world_size}); use e.g. --train.batch_size {nearest}"
            )
        self.device = distributed.setup(torch.device(device))
        self.rank = distributed.rank()
        self.is_main = self.rank == 0
        self.task, self.method = task_and_method(config)
        self.data_task = training_task(config, self.task)
        self.compile_model, self.tensorboard = compile_model, tensorboard
        self.state = RunState()
        self.start_attempt(weights_wanted=not resume)
        self.val_rules = self.method.rules(train.val_stopping, config.confidence_extra_steps)
        self.show_progress = show_progress and self.is_main
        # The reference's mixed-size batches run to the final curriculum length's T(n) + 2 every step.
        self.horizon = self.task.steps(config.curriculum.max_length) + 2 if train.batching == "mixed" else None
        if self.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            self.metrics: MetricsLog | NoMetrics = MetricsLog(self.out, tensorboard=tensorboard)
        else:
            self.metrics = NoMetrics()
        if resume:
            self._restore()
        self.autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else contextlib.nullcontext()
        )

    # --- the loop ---------------------------------------------------------------------------------------------

    def start_attempt(self, weights_wanted: bool = True) -> None:
        """Weights (fresh, or `train.init_from`'s unless a resume brings its own), optimiser, weight average,
        curriculum and data stream for the attempt in `self.state`: attempt 0 draws from the run's seed, each
        restart from a stream of its own."""
        config, train = self.config, self.config.train
        seed = config.seed + RESTART_SEED_STRIDE * self.state.attempt
        torch.manual_seed(seed)
        self.model = self.method.build(config, self.task).to(self.device)
        if train.init_from is not None and weights_wanted:
            self.model.load_state_dict(initial_weights(Path(train.init_from), config))
        if self.compile_model:
            compile_blocks(self.model)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=train.lr, betas=(0.9, train.adam_beta2), weight_decay=train.weight_decay
        )
        self.ema = (
            AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(train.ema_decay)) if train.ema_decay else None
        )
        self.curriculum = Curriculum(config.curriculum)
        self.rng = np.random.default_rng(seed)
        # Gradients flow through the wrapped module's forward; with several processes DDP averages them.
        self.loss_module: torch.nn.Module = LoopedLoss(self.model, self.method)
        if self.world_size > 1:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.loss_module = DistributedDataParallel(self.loss_module, device_ids=device_ids)

    def restart_due(self) -> bool:
        """Whether this attempt's curriculum is still incomplete at `train.restart_after`, with restarts left."""
        train = self.config.train
        return (
            bool(train.restart_after)
            and self.state.step == train.restart_after
            and not self.curriculum.complete
            and self.state.attempt < train.max_restarts
        )

    def restart(self) -> None:
        """Abandon this attempt (its log kept as metrics-attempt<k>.jsonl) and start the next from step 0."""
        abandoned = self.state.attempt
        self.metrics.write({"step": self.state.step, "restart": abandoned + 1})
        self.metrics.close()
        if self.is_main:
            (self.out / "metrics.jsonl").rename(self.out / f"metrics-attempt{abandoned}.jsonl")
            self.metrics = MetricsLog(self.out, tensorboard=self.tensorboard)
        self.state = RunState(
            attempt=abandoned + 1,
            train_seconds=self.state.train_seconds,
            abandoned_at=[*self.state.abandoned_at, self.curriculum.current_max],
        )
        self.start_attempt()
        self.checkpoint()

    @property
    def eval_model(self) -> torch.nn.Module:
        return self.ema.module if self.ema is not None else self.model

    def decay_start(self) -> int:
        """Cosine decay begins when the curriculum completes, or early enough to finish by max_steps."""
        train = self.config.train
        latest = max(0, train.max_steps - train.decay_steps)
        done = self.curriculum.completed_at
        return latest if done is None else min(done, latest)

    def trained_on_every_length(self, step: int) -> bool:
        """Whether the model of `step` had the curriculum's final maximum: such a model outranks every one before
        it in the choice of `best/`. An early model can score higher at a validation length on the easy part of
        the inputs alone (multiplication's zero first operand at step 3,000 of 12,000:
        results/multiplication/README.md), without knowing the task on the lengths it will be reported on."""
        done = self.curriculum.completed_at
        return done is not None and step >= done

    def finished(self) -> bool:
        train = self.config.train
        return self.state.step >= min(train.max_steps, self.decay_start() + train.decay_steps)

    def next_batch(self) -> tuple[Batch, Supervision]:
        """This process's examples and what to supervise for the next step, on its device.

        Every rank draws the whole global batch from the shared generator (so all agree on n and stay in
        step) and keeps its own rows; with one process that is the whole batch.
        """
        train = self.config.train
        if train.batching == "mixed":
            batch = self.data_task.sample_mixed(self.curriculum.sample_sizes(train.batch_size, self.rng), self.rng)
        else:
            batch = self.data_task.sample(self.curriculum.sample_size(self.rng), train.batch_size, self.rng)
        if train.left_fillers:
            batch = prepend_fillers(batch, int(self.rng.integers(0, train.left_fillers + 1)), self.task.pad)
        if train.right_fillers:
            width = batch.inputs.shape[1] + int(self.rng.integers(0, train.right_fillers + 1))
            batch = right_pad(batch, width, self.task.pad)
        extra_active = self.curriculum.current_max >= train.extra_supervision_from
        extra_steps, multiples = (train.extra_supervised_steps, train.supervised_multiples) if extra_active else (0, ())
        supervision = Supervision(
            supervision_steps(batch, extra_steps, multiples),
            train.halting_steps_past if self.config.model.halting_head and extra_active else None,
            train.halting_weight,
            train.halting_target,
            train.halting_detached,
            train.label_smoothing,
            train.unsure_weight,
        )
        if self.world_size > 1:
            rows = distributed.rank_rows(self.rank, self.world_size)
            batch, supervision = distributed.shard(batch, rows), supervision.select(rows)
        return batch.to(self.device), supervision.to(self.device)

    def train_step(self) -> dict[str, float]:
        train = self.config.train
        step = self.state.step + 1
        base_lr = self.state.lr_scale * train.lr
        lr = learning_rate(step, base_lr, train.warmup_steps, self.decay_start(), train.decay_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        batch, supervision = self.next_batch()
        weight = 1.0
        if self.world_size > 1:
            # DDP averages per-rank gradients; weighting each rank's mean loss by its share of the supervised
            # tokens makes that the gradient of the mean over the whole global batch (weight 1 when the
            # ranks' token counts are equal, as with per-size batching).
            tokens = distributed.supervised_tokens(batch, supervision)
            weight = tokens * self.world_size / distributed.all_reduce_sum([tokens])[0]
        with self.autocast:
            loss = self.loss_module(batch, supervision, self.horizon)
        self.optimizer.zero_grad(set_to_none=True)
        (loss * weight if weight != 1.0 else loss).backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), train.grad_clip)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.state.step = step
        value = loss.item()
        if self.world_size > 1:
            value = distributed.all_reduce_sum([value * weight])[0] / self.world_size
        return {"loss": value, "lr": lr, "grad_norm": float(grad_norm), "examples": train.batch_size}

    def advance_curriculum(self) -> float | None:
        """Grow the curriculum, or cut the rate when it has stalled; returns the accuracy of a check made now."""
        step, curriculum = self.state.step, self.curriculum
        accuracy = None
        if curriculum.due_for_check(step):
            # Measured on rank 0 and broadcast, so that every rank takes the same decision.
            if self.is_main:
                samples = self.config.curriculum.check_samples
                seed = self.config.seed + step
                batches = fresh_batches(self.task, curriculum.current_max, samples, samples, seed, self.device)
                judged = self.eval_model if self.config.train.ema_steers_curriculum else self.model
                accuracy, _ = evaluate_rule(judged, batches, Oracle(), self.method)
            if self.world_size > 1:
                accuracy = distributed.broadcast_float(accuracy)
        if curriculum.update(step, accuracy):
            self.state.stall_start = step
            self.state.reached_at[curriculum.current_max] = step
            self.state.reached_after_seconds[curriculum.current_max] = round(self.state.train_seconds, 1)
            self.metrics.write({"step": step, "curriculum_max": curriculum.current_max})
        elif self.stalled(step):
            train = self.config.train
            self.state.stall_start = step
            scale = max(self.state.lr_scale * train.lr_stall_factor, train.lr_stall_floor)
            if scale != self.state.lr_scale:
                self.state.lr_scale = scale
                self.metrics.write({"step": step, "lr_scale": scale})
        return accuracy

    def stalled(self, step: int) -> bool:
        """Whether the growing curriculum has waited `train.lr_stall_steps` for its next length."""
        patience = self.config.train.lr_stall_steps
        return bool(patience) and not self.curriculum.complete and step - self.state.stall_start >= patience

    def validate(self) -> dict:
        """Accuracy on the validation lengths; keeps the best model. Rank 0 only (it steers nothing)."""
        if not self.is_main:
            return {}
        train = self.config.train
        result = accuracy_by_length(
            self.eval_model,
            self.task,
            train.val_lengths,
            self.val_rules,
            train.eval_samples,
            seed=self.config.seed + 1,
            device=self.device,
            method=self.method,
        )
        scores = [a for rule in result["rules"].values() for a in rule["accuracy"]]
        score = float(np.mean(scores))
        record = {"step": self.state.step, "val_score": score}
        for name, rule in result["rules"].items():
            for length, accuracy in zip(result["lengths"], rule["accuracy"], strict=True):
                record[f"val_accuracy/{name}/{length}"] = accuracy
        self.metrics.write(record)
        rank = (self.trained_on_every_length(self.state.step), score)
        best_rank = (self.trained_on_every_length(self.state.best_step), self.state.best_score)
        if rank >= best_rank:  # a tie goes to the later model, trained longer at a lower rate
            self.state.best_score, self.state.best_step, self.state.best_validation = score, self.state.step, record
            save_model_folder(self.out / "best", self.eval_model, self.config, {"step": self.state.step})
        return record

    def run(self, until: int | None = None) -> dict:
        """Train to the end of the schedule (or stop after step `until`, resumable); returns the summary, which
        is written to summary.json only once the run is finished."""
        train = self.config.train
        progress = TrainingProgress(train.max_steps, enabled=self.show_progress)
        window_start, window_examples = time.perf_counter(), 0
        last_record: dict = {}
        step_start = (self.state.step, self.rng.bit_generator.state)
        try:
            with progress, deferred_interrupt() as interrupted:
                progress.update(self.state.step, curriculum_max=self.curriculum.current_max)
                while not self.finished() and (until is None or self.state.step < until) and not interrupted():
                    started = time.perf_counter()
                    step_start = (self.state.step, self.rng.bit_generator.state)
                    record = self.train_step()
                    check_accuracy = self.advance_curriculum()
                    window_examples += record.pop("examples")
                    step = self.state.step
                    if step % train.log_every == 0:
                        rate = window_examples / (time.perf_counter() - window_start)
                        record.update(step=step, curriculum_max=self.curriculum.current_max, samples_per_s=rate)
                        if check_accuracy is not None:  # at the length it was checked at, before any growth
                            record["check_accuracy"] = check_accuracy
                        self.metrics.write(record)
                        progress.update(step, **record)
                        window_start, window_examples, last_record = time.perf_counter(), 0, record
                    if step % train.eval_every == 0 or self.finished():
                        paused = time.perf_counter()
                        progress.update(step, **self.validate())
                        self.checkpoint()
                        window_start += time.perf_counter() - paused  # samples/s counts training alone
                    self.state.train_seconds += time.perf_counter() - started
                    if self.restart_due():
                        self.restart()
                        progress.update(0, curriculum_max=self.curriculum.current_max)
            if interrupted():
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            if self.state.step == step_start[0]:  # stopped inside a step: forget its draws, redo it on resume
                self.rng.bit_generator.state = step_start[1]
            self.checkpoint()
            raise
        summary = self.summary(last_record)
        if not self.finished():  # stopped by `until`: resumable, and not mistaken for a finished run
            self.checkpoint()
        elif self.is_main:
            write_json(self.out / "summary.json", summary)
        self.metrics.close()
        distributed.barrier()  # no rank leaves before rank 0 has written everything
        return summary

    # --- checkpoints --------------------------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Write `last/` (rank 0 only: the weights and the shared generator are the same on every rank)."""
        if not self.is_main:
            return
        save_model_folder(self.out / "last", self.eval_model, self.config, {"step": self.state.step})
        save_trainer_state(
            self.out / "last",
            {
                "model": self.model.state_dict(),
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "optimizer": self.optimizer.state_dict(),
                "curriculum": self.curriculum.state_dict(),
                "rng": self.rng.bit_generator.state,
                "run": self.state.__dict__,
            },
        )

    def _restore(self) -> None:
        saved = load_trainer_state(self.out / "last")
        self.model.load_state_dict(saved["model"])
        if self.ema is not None and saved["ema"] is not None:
            self.ema.load_state_dict(saved["ema"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.curriculum.load_state_dict(saved["curriculum"])
        self.rng.bit_generator.state = saved["rng"]
        self.state = RunState(**saved["run"])
        self.metrics.truncate_after(self.state.step)

    def summary(self, last_record: dict) -> dict:
        return {
            "task": self.config.task,
            "method": self.config.method,
            "seed": self.config.seed,
            "steps": self.state.step,
            "train_seconds": round(self.state.train_seconds, 1),
            "curriculum_max": self.curriculum.current_max,
            "curriculum_completed_at": self.curriculum.completed_at,
            "curriculum_reached_at": self.state.reached_at,
            "curriculum_reached_after_seconds": self.state.reached_after_seconds,
            "final_loss": last_record.get("loss"),
            "restarts": self.state.attempt,
            "abandoned_at_length": self.state.abandoned_at,
            "best_step": self.state.best_step,
            "best_score": self.state.best_score,
            "best_validation": self.state.best_validation,
            "parameters": sum(p.numel() for p in self.model.parameters()),
        }
