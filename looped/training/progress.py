"""A live progress bar for training: step, loss, curriculum length, samples/s, latest validation score."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainingProgress:
    def __init__(self, total_steps: int, enabled: bool = True) -> None:
        self.progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  n<={task.fields[curriculum_max]}"),
            TextColumn("{task.fields[samples_per_s]:.0f} samples/s  val {task.fields[val_score]:.3f}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=not enabled,
        )
        self.task_id = self.progress.add_task(
            "train", total=total_steps, loss=float("nan"), curriculum_max=0, samples_per_s=0.0, val_score=float("nan")
        )

    def __enter__(self) -> TrainingProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def update(self, completed: int, **fields: float) -> None:
        known = {k: v for k, v in fields.items() if k in ("loss", "curriculum_max", "samples_per_s", "val_score")}
        self.progress.update(self.task_id, completed=completed, **known)
