"""The training loop: curriculum, step-dependent supervision, schedule, EMA, validation, checkpoints."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from looped.config import RunConfig
from looped.evaluation import accuracy_by_length, evaluate_rule, fresh_batches
from looped.model import LoopedModel
from looped.stopping import Oracle, get_stopping
from looped.tasks import Batch, Task, get_task
from looped.training.checkpoint import load_trainer_state, save_model_folder, save_trainer_state, write_json
from looped.training.curriculum import Curriculum
from looped.training.loss import looped_loss, supervision_steps
from looped.training.metrics import MetricsLog
from looped.training.progress import TrainingProgress
from looped.training.schedule import learning_rate


@dataclass
class RunState:
    """What changes as training goes on, besides weights and optimiser moments."""

    step: int = 0
    best_score: float = -1.0
    best_step: int = 0
    best_validation: dict = field(default_factory=dict)
    train_seconds: float = 0.0


def build_model(config: RunConfig, task: Task) -> LoopedModel:
    return LoopedModel(config.model, task.vocab_size)


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
        self.device = torch.device(device)
        self.task = get_task(config.task, **config.task_options)
        torch.manual_seed(config.seed)
        self.model = build_model(config, self.task).to(self.device)
        if compile_model:
            for layer in self.model.layers:
                layer.compile()
        train = config.train
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
        self.ema = (
            AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(train.ema_decay)) if train.ema_decay else None
        )
        self.curriculum = Curriculum(config.curriculum)
        self.rng = np.random.default_rng(config.seed)
        self.state = RunState()
        self.val_rules = [get_stopping(s, config.confidence_extra_steps) for s in train.val_stopping]
        self.show_progress = show_progress
        # The reference's mixed-size batches run to the final curriculum length's T(n) + 2 every step.
        self.horizon = self.task.steps(config.curriculum.max_length) + 2 if train.batching == "mixed" else None
        self.out.mkdir(parents=True, exist_ok=True)
        self.metrics = MetricsLog(self.out, tensorboard=tensorboard)
        if resume:
            self._restore()
        self.autocast = (
            torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else contextlib.nullcontext()
        )

    # --- the loop ---------------------------------------------------------------------------------------------

    @property
    def eval_model(self) -> LoopedModel:
        return self.ema.module if self.ema is not None else self.model

    def decay_start(self) -> int:
        """Cosine decay begins when the curriculum completes, or early enough to finish by max_steps."""
        train = self.config.train
        latest = max(0, train.max_steps - train.decay_steps)
        done = self.curriculum.completed_at
        return latest if done is None else min(done, latest)

    def finished(self) -> bool:
        train = self.config.train
        return self.state.step >= min(train.max_steps, self.decay_start() + train.decay_steps)

    def next_batch(self) -> Batch:
        train = self.config.train
        if train.batching == "mixed":
            batch = self.task.sample_mixed(self.curriculum.sample_sizes(train.batch_size, self.rng), self.rng)
        else:
            batch = self.task.sample(self.curriculum.sample_size(self.rng), train.batch_size, self.rng)
        return batch.to(self.device)

    def train_step(self) -> dict[str, float]:
        train = self.config.train
        step = self.state.step + 1
        lr = learning_rate(step, train.lr, train.warmup_steps, self.decay_start(), train.decay_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        batch = self.next_batch()
        extra_active = train.extra_supervision == "always" or self.curriculum.complete
        supervise_at = supervision_steps(batch, train.extra_supervised_steps if extra_active else 0, self.rng)
        with self.autocast:
            loss = looped_loss(self.model, batch, supervise_at, self.horizon)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), train.grad_clip)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.state.step = step
        return {"loss": loss.item(), "lr": lr, "grad_norm": float(grad_norm), "examples": len(batch)}

    def advance_curriculum(self) -> None:
        step, curriculum = self.state.step, self.curriculum
        accuracy = None
        if curriculum.due_for_check(step):
            samples = self.config.curriculum.check_samples
            batches = fresh_batches(
                self.task, curriculum.current_max, samples, samples, seed=self.config.seed + step, device=self.device
            )
            accuracy, _ = evaluate_rule(self.model, batches, Oracle())
        if curriculum.update(step, accuracy):
            self.metrics.write({"step": step, "curriculum_max": curriculum.current_max})

    def validate(self) -> dict:
        train = self.config.train
        result = accuracy_by_length(
            self.eval_model,
            self.task,
            train.val_lengths,
            self.val_rules,
            train.eval_samples,
            seed=self.config.seed + 1,
            device=self.device,
        )
        scores = [a for rule in result["rules"].values() for a in rule["accuracy"]]
        score = float(np.mean(scores))
        record = {"step": self.state.step, "val_score": score}
        for name, rule in result["rules"].items():
            for length, accuracy in zip(result["lengths"], rule["accuracy"]):
                record[f"val_accuracy/{name}/{length}"] = accuracy
        self.metrics.write(record)
        if score > self.state.best_score:
            self.state.best_score, self.state.best_step, self.state.best_validation = score, self.state.step, record
            save_model_folder(self.out / "best", self.eval_model, self.config, {"step": self.state.step})
        return record

    def run(self, until: int | None = None) -> dict:
        """Train to the end of the schedule (or stop after step `until`, resumable); returns the summary."""
        train = self.config.train
        progress = TrainingProgress(train.max_steps, enabled=self.show_progress)
        window_start, window_examples = time.perf_counter(), 0
        last_record: dict = {}
        try:
            with progress:
                progress.update(self.state.step, curriculum_max=self.curriculum.current_max)
                while not self.finished() and (until is None or self.state.step < until):
                    started = time.perf_counter()
                    record = self.train_step()
                    self.advance_curriculum()
                    window_examples += record.pop("examples")
                    step = self.state.step
                    if step % train.log_every == 0:
                        elapsed = time.perf_counter() - window_start
                        record.update(
                            step=step, curriculum_max=self.curriculum.current_max, samples_per_s=window_examples / elapsed
                        )
                        self.metrics.write(record)
                        progress.update(step, **record)
                        window_start, window_examples, last_record = time.perf_counter(), 0, record
                    if step % train.eval_every == 0 or self.finished():
                        progress.update(step, **self.validate())
                        self.checkpoint()
                    self.state.train_seconds += time.perf_counter() - started
        except KeyboardInterrupt:
            self.checkpoint()
            raise
        if until is not None and not self.finished():
            self.checkpoint()
        summary = self.summary(last_record)
        write_json(self.out / "summary.json", summary)
        self.metrics.close()
        return summary

    # --- checkpoints --------------------------------------------------------------------------------------------

    def checkpoint(self) -> None:
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
            "final_loss": last_record.get("loss"),
            "best_step": self.state.best_step,
            "best_score": self.state.best_score,
            "best_validation": self.state.best_validation,
            "parameters": self.model.num_parameters(),
        }
