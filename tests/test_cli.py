"""The `looped` command: data, train, eval and predict, and one-line errors that leave files alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CLI_TRAIN_ARGS

from looped.api import LoopedTransformer
from looped.cli import main
from looped.config import RECIPES, RunConfig
from looped.tasks import get_task, task_names

LOOPED = Path(sys.executable).parent / "looped"
PNG = b"\x89PNG\r\n\x1a\n"


def run_ok(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    """Run in-process; the command must succeed and write nothing to stderr. Returns stdout."""
    main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def run_fails(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    """Run in-process; the command must exit 2 with one `looped: error:` line on stderr. Returns that line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    assert exit_info.value.code == 2, captured.err
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("looped: error: "), captured.err
    assert len(lines[0]) > len("looped: error: ")
    return lines[0]


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root with its bytes and modification time."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- looped data -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", task_names())
def test_data_prints_json_lines_with_correct_answers(capsys: pytest.CaptureFixture, name: str) -> None:
    task = get_task(name)
    length = max(task.min_length, 3) + 2
    records = json_lines(run_ok(capsys, ["data", "--task", name, "--length", str(length), "--count", "7"]))
    assert len(records) == 7
    for record in records:
        assert set(record) == {"prompt", "answer"}
        assert record["answer"] == task.solve(record["prompt"])
        assert task.size(task.parse(record["prompt"])) == length


@pytest.mark.parametrize(
    ("name", "options", "parsed", "check"),
    [
        ("multiplication", "{first_operand_bits: 1}", {"first_operand_bits": 1}, lambda p, _: p.index("*") == 1),
        ("addition", "{steps: n+1}", {"steps": "n+1"}, lambda p, _: "+" in p),
        (  # least significant bit first: the sum of the reversed operands, reversed
            "addition",
            "{order: lsb}",
            {"order": "lsb"},
            lambda p, a: int(a[::-1], 2) == sum(int(x[::-1], 2) for x in p.split("+")),
        ),
    ],
)
def test_data_with_task_options(capsys: pytest.CaptureFixture, name: str, options: str, parsed: dict, check) -> None:
    argv = ["data", "--task", name, "--task_options", options, "--length", "4", "--count", "5"]
    records = json_lines(run_ok(capsys, argv))
    task = get_task(name, **parsed)
    assert len(records) == 5
    for record in records:
        assert check(record["prompt"], record["answer"])
        assert record["answer"] == task.solve(record["prompt"])


def test_data_seed(capsys: pytest.CaptureFixture) -> None:
    argv = ["data", "--task", "copy", "--length", "12", "--count", "4"]
    first = run_ok(capsys, [*argv, "--seed", "5"])
    assert run_ok(capsys, [*argv, "--seed", "5"]) == first
    assert run_ok(capsys, [*argv, "--seed", "6"]) != first


# --- argument errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "--task", "nope", "--length", "3", "--count", "2"],
        ["data", "--task", "parity", "--length", "0", "--count", "2"],
        ["data", "--task", "parity", "--length", "-1", "--count", "2"],
        ["data", "--task", "parity", "--length", "x", "--count", "2"],
        ["data", "--task", "parity", "--length", "3", "--count", "0"],
        ["data", "--task", "parity", "--count", "2"],
        ["data", "--task", "multiplication", "--task_options", "{bogus: 1}", "--length", "3", "--count", "2"],
        ["bogus"],
        [],
    ],
    ids=["task", "length0", "length-1", "lengthx", "count0", "no-length", "task-options", "command", "nothing"],
)
def test_bad_data_arguments(capsys: pytest.CaptureFixture, argv: list[str]) -> None:
    run_fails(capsys, argv)
    assert capsys.readouterr().out == ""


def test_unknown_task_message_names_the_choices(capsys: pytest.CaptureFixture) -> None:
    line = run_fails(capsys, ["data", "--task", "nope", "--length", "3", "--count", "2"])
    assert "nope" in line and "parity" in line


@pytest.mark.parametrize(
    "extra",
    [
        ["--stopping", "nope"],
        ["--stopping", "fixed"],
        ["--stopping", "oracle,fixed:x"],
        ["--stopping", "oracle,halting"],  # the model has no halting head
        ["--lengths", "0"],
        ["--lengths", "x"],
        ["--lengths", "3-1"],
        ["--samples", "0"],
        ["--task_options", "{no_such_option: 1}"],
    ],
)
def test_bad_eval_arguments(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path, extra: list[str]) -> None:
    before = snapshot(cli_run)
    argv = ["eval", "--checkpoint", str(cli_run), "--lengths", "2", "--out", str(tmp_path / "eval"), *extra]
    run_fails(capsys, argv)
    assert not (tmp_path / "eval").exists()
    assert snapshot(cli_run) == before


@pytest.mark.parametrize(
    ("prompts", "message"),
    [(["10a"], "10a"), (["101", "1 0"], "prompt 2"), ([" "], ""), ([], "no prompts")],
)
def test_bad_predict_prompts(capsys: pytest.CaptureFixture, cli_run: Path, prompts: list[str], message: str) -> None:
    before = snapshot(cli_run)
    line = run_fails(capsys, ["predict", "--checkpoint", str(cli_run), *prompts])
    assert message in line
    assert snapshot(cli_run) == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--train.init_from", "MISSING"], "MISSING"),
        (["--train.init_from", "RUN", "--model.n_layers", "2"], "--model.* settings"),
        (["--train.init_from", "RUN", "--task", "copy"], "trained on parity"),
    ],
    ids=["missing", "other-model", "other-task"],
)
def test_bad_init_from(
    capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    before = snapshot(cli_run)
    paths = {"MISSING": str(tmp_path / "missing"), "RUN": str(cli_run)}
    argv = ["train", *CLI_TRAIN_ARGS, *[paths.get(a, a) for a in extra], "--out", str(tmp_path / "run")]
    line = run_fails(capsys, argv)
    assert paths.get(message, message) in line
    assert not (tmp_path / "run").exists()
    assert snapshot(cli_run) == before


def test_predict_unknown_stopping_rule(capsys: pytest.CaptureFixture, cli_run: Path) -> None:
    line = run_fails(capsys, ["predict", "--checkpoint", str(cli_run), "--stopping", "nope", "101"])
    assert "nope" in line


def test_halting_on_a_model_without_a_halting_head(capsys: pytest.CaptureFixture, cli_run: Path) -> None:
    line = run_fails(capsys, ["predict", "--checkpoint", str(cli_run), "--stopping", "halting", "101"])
    assert "no halting head" in line and "model.halting_head: true" in line


def test_predict_missing_input_file(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path) -> None:
    run_fails(capsys, ["predict", "--checkpoint", str(cli_run), "--input", str(tmp_path / "missing.txt")])


@pytest.mark.parametrize("command", ["predict", "eval"])
def test_missing_checkpoint(capsys: pytest.CaptureFixture, tmp_path: Path, command: str) -> None:
    argv = [command, "--checkpoint", str(tmp_path / "nowhere")]
    argv += ["101"] if command == "predict" else ["--lengths", "2", "--out", str(tmp_path / "eval")]
    line = run_fails(capsys, argv)
    assert "nowhere" in line
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "eval").exists()


def test_folder_without_a_model(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run_fails(capsys, ["predict", "--checkpoint", str(tmp_path / "empty"), "101"])
    assert list((tmp_path / "empty").iterdir()) == []


def _garbage_weights(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(b"this is not a safetensors file at all" * 3)


def _truncated_weights(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])


def _missing_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()


def _broken_json(folder: Path) -> None:
    (folder / "config.json").write_text('{"task": "parity", "model": {')


def _edit_config(**changes):
    def edit(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        for key, value in changes.items():
            if isinstance(value, dict):
                config[key].update(value)
            else:
                config[key] = value
        (folder / "config.json").write_text(json.dumps(config))

    return edit


CORRUPTIONS = {
    "garbage-weights": (_garbage_weights, "model.safetensors"),
    "truncated-weights": (_truncated_weights, "model.safetensors"),
    "missing-weights": (_missing_weights, "model.safetensors"),
    "broken-config-json": (_broken_json, "config.json"),
    "config-not-matching-weights": (_edit_config(model={"d_model": 64}), ""),
    "config-invalid-value": (_edit_config(model={"n_heads": 3}), "config.json"),
    "config-unknown-field": (_edit_config(model={"width": 3}), "config.json"),
    "config-unknown-task": (_edit_config(task="nope"), "nope"),
    "config-a-list": (lambda folder: (folder / "config.json").write_text("[1, 2]"), "config.json"),
    "config-a-string": (lambda folder: (folder / "config.json").write_text('"parity"'), "config.json"),
}


@pytest.mark.parametrize("command", ["predict", "eval"])
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_checkpoint(
    capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path, command: str, corruption: str
) -> None:
    corrupt, message = CORRUPTIONS[corruption]
    folder = tmp_path / "model"
    shutil.copytree(cli_run / "best", folder)
    corrupt(folder)
    before = snapshot(folder)
    argv = [command, "--checkpoint", str(folder)]
    argv += ["101"] if command == "predict" else ["--lengths", "2", "--samples", "5"]
    line = run_fails(capsys, argv)
    assert message in line
    assert snapshot(folder) == before  # nothing written, not even eval/


def test_train_refuses_an_existing_run_directory(capsys: pytest.CaptureFixture, cli_run: Path) -> None:
    before = snapshot(cli_run)
    line = run_fails(capsys, ["train", *CLI_TRAIN_ARGS, "--out", str(cli_run)])
    assert "--resume" in line
    assert snapshot(cli_run) == before


def test_train_refuses_a_non_empty_directory(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    before = snapshot(tmp_path)
    run_fails(capsys, ["train", *CLI_TRAIN_ARGS, "--out", str(tmp_path)])
    assert snapshot(tmp_path) == before


def test_train_out_is_an_existing_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    before = snapshot(tmp_path)
    run_fails(capsys, ["train", *CLI_TRAIN_ARGS, "--out", str(tmp_path / "notes.txt")])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("below", ["", "sub"], ids=["file", "below-a-file"])
def test_eval_out_is_an_existing_file(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path, below: str) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    before = snapshot(tmp_path)
    out = tmp_path / "notes.txt" / below if below else tmp_path / "notes.txt"
    run_fails(capsys, ["eval", "--checkpoint", str(cli_run), "--lengths", "2", "--samples", "5", "--out", str(out)])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--task", "nope"],
        ["train", "--task", "parity", "--model.d_model", "30"],
        ["train", "--task", "parity", "--curriculum.max_length", "0"],
        ["train", "--task", "parity", "--train.max_steps", "x"],
        ["train", "--task", "parity", "--resume", "true"],
        ["train", "--task", "parity", "--config", "/nonexistent/recipe.yaml"],
        ["train", "--task", "parity", "--task_options", "{bogus: 1}"],
        ["train", "--task", "unique_set", "--train.data_options", "{alphabet: tiny}"],
        ["train", "--task", "parity", "--train.data_options", "{alphabet: varied}"],
    ],
    ids=[
        "task",
        "heads",
        "curriculum",
        "max-steps",
        "resume-nothing",
        "config",
        "task-options",
        "data-options",
        "data-options-of-another-task",
    ],
)
def test_bad_train_arguments_create_nothing(capsys: pytest.CaptureFixture, tmp_path: Path, argv: list[str]) -> None:
    out = tmp_path / "run"
    run_fails(capsys, [*argv, "--out", str(out), "--progress", "false"])
    assert not out.exists() or list(out.iterdir()) == []


# --- end to end ------------------------------------------------------------------------------------------------------


def test_train_writes_a_run_directory(cli_run: Path) -> None:
    for folder in ("best", "last"):
        assert (cli_run / folder / "model.safetensors").stat().st_size > 0
        assert json.loads((cli_run / folder / "config.json").read_text())["task"] == "parity"
    records = json_lines((cli_run / "metrics.jsonl").read_text())
    assert [r["step"] for r in records if "val_score" in r] == [15, 30]
    summary = json.loads((cli_run / "summary.json").read_text())
    assert summary["steps"] == 30 and summary["task"] == "parity"
    assert summary["best_step"] in (15, 30)


@pytest.mark.parametrize(("max_steps", "warned"), [(10, True), (12, False)])
def test_train_warns_when_the_decay_fills_the_run(
    capsys: pytest.CaptureFixture, tmp_path: Path, max_steps: int, warned: bool
) -> None:
    argv = ["train", *CLI_TRAIN_ARGS, "--train.max_steps", str(max_steps), "--train.eval_every", "5"]
    main([*argv, "--out", str(tmp_path / "run")])  # CLI_TRAIN_ARGS decay over 10 steps
    warning = "looped: warning: train.decay_steps (10) is not below train.max_steps (10), so the learning rate decays"
    assert (warning in capsys.readouterr().err) is warned
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["steps"] == max_steps  # it trains all the same


@pytest.mark.parametrize("config_flag", [["--config", "PARITY"], ["--config=PARITY"]])
def test_train_flags_win_over_a_recipe_given_after_them(capsys: pytest.CaptureFixture, config_flag: list[str]) -> None:
    recipe = str(RECIPES / "parity.yaml")
    argv = ["train", "--task", "copy", *[a.replace("PARITY", recipe) for a in config_flag], "--print_config"]
    with pytest.raises(SystemExit) as printed:
        main(argv)
    assert printed.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["task"] == "copy"
    assert config["model"]["d_model"] == yaml.safe_load((RECIPES / "parity.yaml").read_text())["model"]["d_model"]


def test_train_flags_override_the_task_recipe(cli_run: Path) -> None:
    config = json.loads((cli_run / "last" / "config.json").read_text())
    assert config["model"]["d_model"] == 32  # flag (the recipe says 128)
    assert config["curriculum"]["max_length"] == 3  # flag (recipe: 20)
    assert config["train"]["max_steps"] == 30 and config["train"]["val_lengths"] == [4]
    recipe = yaml.safe_load((RECIPES / "parity.yaml").read_text())
    defaults = RunConfig()
    assert recipe["model"]["n_heads"] != defaults.model.n_heads  # so the next line tells recipe from default
    assert config["model"]["n_heads"] == recipe["model"]["n_heads"]
    assert config["train"]["eval_samples"] == recipe["train"]["eval_samples"] != defaults.train.eval_samples


def test_eval_writes_accuracy_and_step_profile(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path) -> None:
    before = snapshot(cli_run)
    out = tmp_path / "eval"
    argv = ["eval", "--checkpoint", str(cli_run), "--lengths", "2,4", "--stopping", "oracle,confidence-per-example"]
    run_ok(capsys, [*argv, "--samples", "50", "--profile", "4", "--out", str(out), "--progress", "false"])
    assert snapshot(cli_run) == before

    accuracy = json.loads((out / "accuracy.json").read_text())
    assert {"task", "checkpoint", "seed", "lengths", "samples", "rules"} <= set(accuracy)
    assert accuracy["task"] == "parity" and accuracy["lengths"] == [2, 4] and accuracy["samples"] == 50
    assert list(accuracy["rules"]) == ["oracle", "confidence-per-example"]
    for rule in accuracy["rules"].values():
        assert set(rule) == {"accuracy", "mean_steps"}
        assert len(rule["accuracy"]) == len(rule["mean_steps"]) == 2
        assert all(0.0 <= a <= 1.0 for a in rule["accuracy"])
    assert accuracy["rules"]["oracle"]["mean_steps"] == [2.0, 4.0]
    for length, steps in zip([2, 4], accuracy["rules"]["confidence-per-example"]["mean_steps"], strict=True):
        assert 1.0 <= steps <= length + 20

    # The numbers are the API's numbers on the same evaluation seed.
    model = LoopedTransformer.from_pretrained(cli_run)
    api = model.evaluate([2, 4], ["oracle", "confidence-per-example"], samples=50, seed=accuracy["seed"])
    assert api["rules"] == accuracy["rules"]

    profile = json.loads((out / "steps_4.json").read_text())
    list_keys = ("steps", "accuracy", "confidence_loss", "mean_max_probability")
    assert {"length", "oracle_steps", "samples", *list_keys} <= set(profile)
    assert profile["length"] == 4 and profile["oracle_steps"] == 4 and profile["samples"] == 50
    assert profile["steps"] == list(range(1, 4 + 30 + 1))  # default: T(n) + 30
    assert all(len(profile[key]) == 34 for key in list_keys)
    assert all(0.0 <= a <= 1.0 for a in profile["accuracy"] + profile["mean_max_probability"])
    assert all(c >= 0.0 for c in profile["confidence_loss"])

    for name in ("accuracy.png", "steps_4.png"):
        assert (out / name).read_bytes()[:8] == PNG


def test_eval_task_options_override_the_models(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    argv = ["eval", "--checkpoint", str(cli_run), "--lengths", "2,4", "--stopping", "oracle", "--samples", "8"]
    run_ok(capsys, [*argv, "--task_options", "{steps: n+1}", "--profile", "2", "--out", str(out)])
    accuracy = json.loads((out / "accuracy.json").read_text())
    assert accuracy["task_options"] == {"steps": "n+1"}
    assert accuracy["rules"]["oracle"]["mean_steps"] == [3.0, 5.0]  # T(n) = n + 1 instead of the checkpoint's n
    assert json.loads((out / "steps_2.json").read_text())["oracle_steps"] == 3


def test_train_and_eval_with_a_halting_head(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    run = tmp_path / "run"
    run_ok(capsys, ["train", *CLI_TRAIN_ARGS, "--model.halting_head", "true", "--out", str(run)])
    out = tmp_path / "eval"
    argv = ["eval", "--checkpoint", str(run), "--lengths", "2,3", "--stopping", "oracle,halting", "--samples", "20"]
    run_ok(capsys, [*argv, "--profile", "3", "--profile_steps", "6", "--out", str(out), "--progress", "false"])
    accuracy = json.loads((out / "accuracy.json").read_text())
    assert list(accuracy["rules"]) == ["oracle", "halting"]
    halting_steps = accuracy["rules"]["halting"]["mean_steps"]
    assert all(1.0 <= steps <= n + 20 for n, steps in zip([2, 3], halting_steps, strict=True))
    profile = json.loads((out / "steps_3.json").read_text())
    assert len(profile["halting_probability"]) == len(profile["halting_stop_share"]) == 6
    assert sum(profile["halting_stop_share"]) == pytest.approx(1.0)  # every example stops within the 6 steps
    assert (out / "steps_3.png").read_bytes()[:8] == PNG
    line = json_lines(run_ok(capsys, ["predict", "--checkpoint", str(run), "--stopping", "halting", "101"]))[0]
    assert line["prompt"] == "101" and isinstance(line["answer"], str) and 1 <= line["steps"] <= 3 + 20


def test_eval_default_output_and_ranges(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    argv = ["eval", "--checkpoint", str(run), "--lengths", "1-5:2", "--stopping", "fixed:3", "--samples", "8"]
    run_ok(capsys, [*argv, "--profile", "2", "--profile_steps", "5"])
    accuracy = json.loads((run / "best" / "eval" / "accuracy.json").read_text())  # default: <best model>/eval
    assert accuracy["lengths"] == [1, 3, 5]
    assert accuracy["rules"]["fixed"]["mean_steps"] == [3.0, 3.0, 3.0]
    profile = json.loads((run / "best" / "eval" / "steps_2.json").read_text())
    assert profile["steps"] == [1, 2, 3, 4, 5]


def test_predict_prints_one_json_line_per_prompt(capsys: pytest.CaptureFixture, cli_run: Path) -> None:
    prompts = ["101", "0110"]
    records = json_lines(run_ok(capsys, ["predict", "--checkpoint", str(cli_run), *prompts]))
    assert [r["prompt"] for r in records] == prompts
    for record in records:
        assert set(record) == {"prompt", "answer", "steps"}
        assert record["answer"] in ("0", "1")
        assert 1 <= record["steps"] <= len(record["prompt"]) + 20  # confidence-per-example, 20 extra steps
    expected = LoopedTransformer.from_pretrained(cli_run).solve(prompts)
    assert records == [{"prompt": s.prompt, "answer": s.answer, "steps": s.steps} for s in expected]


def test_predict_oracle_steps(capsys: pytest.CaptureFixture, cli_run: Path) -> None:
    prompts = ["1", "10", "0110", "1011001"]
    argv = ["predict", "--checkpoint", str(cli_run / "last"), "--stopping", "oracle", *prompts]
    records = json_lines(run_ok(capsys, argv))
    assert [r["steps"] for r in records] == [1, 2, 4, 7]


def test_predict_reads_prompts_from_a_file(capsys: pytest.CaptureFixture, cli_run: Path, tmp_path: Path) -> None:
    prompt_file = tmp_path / "prompts.txt"
    prompt_file.write_text("1\n\n0110\n  111  \n")
    before = snapshot(tmp_path)
    argv = ["predict", "--checkpoint", str(cli_run), "--stopping", "oracle", "--input", str(prompt_file), "00"]
    records = json_lines(run_ok(capsys, argv))
    assert [r["prompt"] for r in records] == ["00", "1", "0110", "111"]
    assert [r["steps"] for r in records] == [2, 1, 4, 3]
    solutions = LoopedTransformer.from_pretrained(cli_run).solve(["00", "1", "0110", "111"], "oracle")
    assert [r["answer"] for r in records] == [s.answer for s in solutions]
    assert snapshot(tmp_path) == before


# --- the real console script ---------------------------------------------------------------------------------------


def console(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(LOOPED), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_console_script_success_and_errors(tmp_path: Path) -> None:
    result = console("data", "--task", "parity", "--length", "5", "--count", "3")
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == 3 and all(r["answer"] == str(r["prompt"].count("1") % 2) for r in records)

    result = console("data", "--task", "parity", "--length", "x", "--count", "3")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("looped: error:")
    assert result.stdout == ""


def test_console_script_corrupt_checkpoint(cli_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(cli_run / "best", folder)
    _garbage_weights(folder)
    before = snapshot(folder)
    result = console("predict", "--checkpoint", str(folder), "101")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("looped: error:") and "model.safetensors" in lines[0]
    assert snapshot(folder) == before
