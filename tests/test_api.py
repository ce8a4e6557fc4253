"""The Python API end to end on a tiny trained model: the custom-task example, from_pretrained /
save_pretrained, solve, TensorBoard logging, `looped plot`, and clear errors for devices that are not there."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

import looped.tasks
from looped.api import LoopedTransformer
from looped.cli import main
from looped.config import RunConfig
from looped.devices import resolve_device
from looped.errors import LoopedError
from looped.evaluation import step_profile
from looped.plots import _fit_titles, plt, training_figure
from looped.tasks import PromptError, get_task
from looped.training.checkpoint import write_json
from looped.training.trainer import Trainer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "custom_task.py"
NO_GPU = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error for a missing GPU")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """examples/custom_task.py imported from its path (it registers the task 'reverse'; unregistered after)."""
    spec = importlib.util.spec_from_file_location("custom_task_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    looped.tasks._REGISTRY.pop("reverse", None)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-step parity run with TensorBoard logging and a start token, so that the round trip carries one (it
    learns little; the API only has to work)."""
    config = RunConfig.from_dict(
        {
            "task": "parity",
            "model": {"d_model": 32, "n_heads": 2, "start_token": True},
            "curriculum": {"kind": "fixed", "interval": 5, "max_length": 5},
            "train": {"max_steps": 30, "batch_size": 16, "lr": 3e-3, "warmup_steps": 5, "decay_steps": 10,
                      "eval_every": 15, "eval_samples": 32, "val_lengths": [4, 6], "log_every": 5},
        }
    )  # fmt: skip
    out = tmp_path_factory.mktemp("parity") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Trainer(config, out, show_progress=False, tensorboard=True).run()
    finally:
        torch.set_num_threads(threads)
    return out


# --- the custom-task example ---------------------------------------------------------------------------------


def test_example_task_rows_decode_to_its_solver(example: ModuleType) -> None:
    task = get_task("reverse")
    assert isinstance(task, example.Reverse)
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 17):
        batch = task.sample(n, 16, rng)
        prompts = task.decode_prompts(batch)
        answers = task.decode_answers(batch.targets, batch.answer_start)
        assert all(len(p) == n for p in prompts)
        assert answers == [task.solve(p) for p in prompts] == [p[::-1] for p in prompts]
        assert int(batch.steps[0]) == n
    with pytest.raises(PromptError, match="unexpected symbol"):
        task.solve("10x1")


def test_example_trains_and_answers_end_to_end(example: ModuleType, tmp_path: Path, capsys) -> None:
    out = tmp_path / "reverse"
    example.main(["--steps", "12", "--out", str(out), "--d_model", "32"])
    printed = capsys.readouterr().out
    assert "trained 12 steps" in printed
    assert "1101 -> " in printed and "expected 1011" in printed
    model = LoopedTransformer.from_pretrained(out)
    assert model.config.task == "reverse" and model.task.name == "reverse"
    result, solutions = example.demo(out, lengths=[3], prompts=["011", "1"], samples=8)
    assert result["lengths"] == [3] and set(result["rules"]) == {"oracle", "confidence-per-example"}
    assert [s.prompt for s in solutions] == ["011", "1"]


# --- from_pretrained / save_pretrained / solve -------------------------------------------------------------------


def test_save_pretrained_round_trip(trained: Path, tmp_path: Path) -> None:
    model = LoopedTransformer.from_pretrained(trained)
    assert model.config.task == "parity" and not model.model.training
    model.save_pretrained(tmp_path / "copy")
    again = LoopedTransformer.from_pretrained(tmp_path / "copy")
    assert again.config.to_dict() == model.config.to_dict()
    mine, theirs = model.model.state_dict(), again.model.state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    assert "start" in mine
    prompts = ["10110", "1", "0111"]
    assert again.solve(prompts) == model.solve(prompts)
    best = LoopedTransformer.from_pretrained(trained / "best").model.state_dict()
    assert all(torch.equal(best[k], mine[k]) for k in mine)  # a run directory means its best model


def test_solve_answers_in_order_with_the_oracle_read_out(trained: Path) -> None:
    model = LoopedTransformer.from_pretrained(trained)
    prompts = ["1011", "1", "110", "00000", "01", "111", "0"]
    solutions = model.solve(prompts, stopping="oracle")
    assert [s.prompt for s in solutions] == prompts
    assert [s.steps for s in solutions] == [len(p) for p in prompts]  # parity: T(n) = n

    expected: dict[int, str] = {}
    with torch.no_grad():
        for indices, batch in model.task.encode(prompts):
            steps = model.task.steps(len(prompts[indices[0]]))
            tokens = model.model(batch.inputs, steps).argmax(dim=-1)
            expected.update(zip(indices, model.task.decode_answers(tokens, batch.answer_start), strict=True))
    assert [s.answer for s in solutions] == [expected[i] for i in range(len(prompts))]
    assert all(s.answer in ("0", "1", "") for s in solutions)

    adaptive = model.solve(prompts)  # confidence-per-example: at most T(n) + confidence_extra_steps
    assert [s.prompt for s in adaptive] == prompts
    assert all(1 <= s.steps <= len(s.prompt) + model.config.confidence_extra_steps for s in adaptive)
    with pytest.raises(PromptError):
        model.solve(["10", "1a"])


# --- TensorBoard -------------------------------------------------------------------------------------------------


def test_tensorboard_scalars(trained: Path) -> None:
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = trained / "tensorboard"
    assert list(folder.glob("events.out.tfevents.*"))
    events = EventAccumulator(str(folder))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    expected = {"loss", "lr", "grad_norm", "samples_per_s", "curriculum_max", "val_score"}
    expected |= {f"val_accuracy/{rule}/{n}" for rule in ("oracle", "confidence-per-example") for n in (4, 6)}
    assert expected <= tags
    assert [e.step for e in events.Scalars("loss")] == [5, 10, 15, 20, 25, 30]
    assert [e.step for e in events.Scalars("val_accuracy/oracle/6")] == [15, 30]
    assert all(e.value > 0 for e in events.Scalars("samples_per_s"))


# --- looped plot -------------------------------------------------------------------------------------------------


def test_plot_redraws_every_result(trained: Path, tmp_path: Path, capsys) -> None:
    model = LoopedTransformer.from_pretrained(trained)
    results = tmp_path / "results"
    write_json(results / "parity" / "accuracy.json", model.evaluate([2, 4], ["oracle"], samples=8) | {"task": "parity"})
    write_json(results / "parity" / "steps_4.json", step_profile(model.model, model.task, 4, 8, 8))
    write_json(results / "parity" / "summary.json", {"steps": 30})  # not a plot: left alone
    (results / "broken.json").write_text("{not json")

    main(["plot", str(results)])
    captured = capsys.readouterr()
    for name in ("accuracy", "steps_4"):
        assert (results / "parity" / f"{name}.png").read_bytes().startswith(PNG)
    assert not (results / "parity" / "summary.png").exists()
    assert "redrew 2 plot(s)" in captured.out
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("looped: warning: skipped") and "broken.json" in warnings[0]

    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("looped: error:") and "missing" in error[0]


def test_plot_draws_training_logs_alone_and_compared(trained: Path, tmp_path: Path, capsys) -> None:
    runs = tmp_path / "runs"
    for name in ("a", "b"):
        (runs / name).mkdir(parents=True)
        shutil.copy(trained / "metrics.jsonl", runs / name / "metrics.jsonl")
    with (runs / "b" / "metrics.jsonl").open("a") as log:
        log.write('{"step": 31, "lo')  # a run killed mid-write
    (runs / "c").mkdir()
    (runs / "c" / "metrics.jsonl").write_text("")  # started, nothing logged yet

    main(["plot", str(runs), "--compare", str(tmp_path / "both.png")])
    captured = capsys.readouterr()
    for png in (runs / "a" / "training.png", runs / "b" / "training.png", tmp_path / "both.png"):
        assert png.read_bytes().startswith(PNG)
    assert not (runs / "c" / "training.png").exists()
    assert "redrew 3 plot(s)" in captured.out
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 2 and all(w.startswith("looped: warning:") for w in warnings)
    assert "b/metrics.jsonl: skipped 1 line(s)" in captured.err
    assert "c/metrics.jsonl: no training records" in captured.err

    for argv, problem in (
        (["plot", str(runs), "--compare", str(tmp_path / "both.pdf")], "ending in .png"),
        (["plot", str(runs / "c"), "--compare", str(tmp_path / "none.png")], "no readable training log"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert error[-1].startswith("looped: error: --compare") and problem in error[-1]
    assert not (tmp_path / "none.png").exists()


def test_training_figure_keeps_the_check_scale_only_for_logs_with_checks() -> None:
    records = [{"step": 5, "loss": 0.7}, {"step": 5, "curriculum_max": 3}, {"step": 10, "val_accuracy/oracle/6": 0.5}]
    checked = records + [{"step": 10, "curriculum_max": 3, "check_accuracy": 0.9}]

    def right_scales(runs: dict[str, list[dict]]) -> list[str]:
        figure = training_figure(runs)
        labels = [axis.get_ylabel() for axis in figure.axes]
        plt.close(figure)
        return [label for label in labels if "check" in label]

    assert right_scales({"plain": records}) == []
    assert right_scales({"plain": records, "checked": checked}) == ["check accuracy (dots)"]


def test_a_title_naming_a_long_run_folder_is_wrapped_to_fit_the_figure() -> None:
    figure, axis = plt.subplots(figsize=(6, 3.8))
    axis.set_title("binary_sum (runs/reproduce-bsum-varied-ema/binary_sum/looped/seed0/best), n = 30")
    _fit_titles(figure)
    figure.tight_layout()
    renderer = figure.canvas.get_renderer()
    title, page = axis.title.get_window_extent(renderer), figure.bbox
    plt.close(figure)
    assert "\n" in axis.get_title()
    assert page.x0 <= title.x0 and title.x1 <= page.x1


# --- devices -----------------------------------------------------------------------------------------------------


def test_unknown_device_is_a_clear_error() -> None:
    with pytest.raises(LoopedError, match=r"'tpu'.*use auto, cpu, cuda"):
        resolve_device("tpu")
    assert resolve_device("cpu") == torch.device("cpu")


@NO_GPU
def test_missing_gpu_is_a_clear_error() -> None:
    for name in ("cuda", "cuda:1"):
        with pytest.raises(LoopedError, match="not available here.*--device cpu"):
            resolve_device(name)


@NO_GPU
def test_train_on_a_missing_gpu_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--task", "parity", "--device", "cuda", "--out", str(tmp_path / "run")])
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("looped: error:") and "cuda" in lines[0]
    assert not (tmp_path / "run").exists()
