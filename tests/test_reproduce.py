"""`looped reproduce` end to end on a tiny budget: JSON per run, the table, the plot, and skipping finished runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from looped.cli import main as cli_main
from looped.cli.reproduce import merge, run_config
from looped.results import default_test_lengths, headline_length, overview, results_table, span, target_line

TINY = "{model: {d_model: 16, n_heads: 2}, curriculum: {max_length: 3}, baseline_depth: 2, train: {eval_samples: 8, val_lengths: [4], decay_steps: 2, batch_size: 8}}"  # noqa: E501


def reproduce(tmp_path: Path) -> list[str]:
    return [
        "reproduce", "--tasks", "parity", "--methods", "looped,ntp", "--seeds", "1", "--max_steps", "4",
        "--samples", "8", "--lengths", "1-4", "--override", TINY, "--progress", "false",
        "--out", str(tmp_path / "results"), "--runs", str(tmp_path / "runs"), "--threads", "1",
    ]  # fmt: skip


def test_reproduce_writes_results_and_skips_finished_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cli_main(reproduce(tmp_path))
    results = tmp_path / "results"
    looped = json.loads((results / "parity" / "looped" / "seed0.json").read_text())
    ntp = json.loads((results / "parity" / "ntp" / "seed0.json").read_text())
    assert looped["lengths"] == [1, 2, 3, 4] and looped["train_max"] == 3 and looped["headline_length"] == 40
    summary = json.loads((tmp_path / "runs" / "parity" / "looped" / "seed0" / "summary.json").read_text())
    assert looped["curriculum_reached"] == summary["curriculum_max"]
    assert set(looped["rules"]) == {"oracle", "confidence", "confidence-per-example"}
    assert set(ntp["rules"]) == {"fixed-depth"} and ntp["rules"]["fixed-depth"]["mean_steps"] == [2.0] * 4
    assert looped["command"].startswith("looped reproduce --tasks parity --methods looped,ntp")
    assert looped["command"].endswith("--threads 1")  # train times are only comparable with it
    assert looped["train_seconds"] >= 0 and looped["eval_seconds"] >= 0
    assert (tmp_path / "runs" / "parity" / "ntp" / "seed0" / "summary.json").is_file()
    table = (results / "RESULTS.md").read_text()
    assert "## parity (n = 4; trained n <= 3)" in table
    per_example = looped["rules"]["confidence-per-example"]["accuracy"][3]
    assert f"at least 0.99 at n = 4 for each of 3 seeds: not met (1 seed, min {per_example:.3f})." in table
    assert "| looped | confidence-per-example | 1 |" in table and "| ntp | fixed-depth | 1 |" in table
    reached = f"| {per_example:.3f} | {per_example:.3f} | {looped['curriculum_reached']} |"
    assert reached in table
    oracle, batch = (looped["rules"][rule]["accuracy"][3] for rule in ("oracle", "confidence"))
    baseline = ntp["rules"]["fixed-depth"]["accuracy"][3]
    overview = f"| parity | 4 (3) | 0.99 | 1 | {oracle:.3f} / {oracle:.3f} | {batch:.3f} / {batch:.3f} "
    overview += f"| {per_example:.3f} / {per_example:.3f} "
    assert overview + f"| ntp {baseline:.3f} | not met |" in table
    assert (results / "parity" / "accuracy.png").stat().st_size > 0

    (results / "RESULTS.md").unlink()
    (results / "parity" / "accuracy.png").unlink()
    cli_main(["table", "--out", str(results)])  # the same table from the result files alone, nothing retrained
    assert (results / "RESULTS.md").read_text() == table and (results / "parity" / "accuracy.png").is_file()
    assert "parity/README.md" not in table
    (results / "parity" / "README.md").write_text("# parity\n")  # a task page: the table links it
    cli_main(["table", "--out", str(results)])
    assert "[`parity/README.md`](parity/README.md)" in (results / "RESULTS.md").read_text()
    with pytest.raises(SystemExit) as failed:
        cli_main(["table", "--out", str(tmp_path / "runs")])
    assert failed.value.code == 2 and "no result files" in capsys.readouterr().err

    before = (results / "parity" / "ntp" / "seed0.json").read_text()
    capsys.readouterr()
    cli_main(reproduce(tmp_path))
    assert capsys.readouterr().out.count("done already") == 2
    assert (results / "parity" / "ntp" / "seed0.json").read_text() == before

    other_recipe = reproduce(tmp_path)
    other_recipe[other_recipe.index("--max_steps") + 1] = "5"
    with pytest.raises(SystemExit) as failed:  # a result file of another recipe is not taken as this one's
        cli_main(other_recipe)
    assert failed.value.code != 0
    message = capsys.readouterr().err
    assert "seed0.json was trained with another recipe (train.max_steps 4 -> 5); delete that file" in message
    assert "Traceback" not in message and (results / "parity" / "looped" / "seed0.json").is_file()

    (results / "parity" / "looped" / "seed0.json").unlink()
    (results / "parity" / "ntp" / "seed0.json").unlink()
    run_dir = tmp_path / "runs" / "parity" / "looped" / "seed0"
    weights = (run_dir / "best" / "model.safetensors").read_bytes()
    with pytest.raises(SystemExit) as failed:
        cli_main(other_recipe)
    assert failed.value.code != 0
    message = capsys.readouterr().err
    assert "trained with another recipe (train.max_steps 4 -> 5)" in message and "Traceback" not in message
    assert (run_dir / "best" / "model.safetensors").read_bytes() == weights
    assert not (results / "parity" / "looped" / "seed0.json").exists()


def test_a_result_written_before_a_config_field_existed_counts_as_that_fields_default(tmp_path: Path) -> None:
    cli_main(reproduce(tmp_path))
    result_file = tmp_path / "results" / "parity" / "looped" / "seed0.json"
    result = json.loads(result_file.read_text())
    del result["config"]["train"]["left_fillers"]  # as written before the field was added
    result_file.write_text(json.dumps(result))
    cli_main(reproduce(tmp_path))  # taken as done, not refused as another recipe
    assert json.loads(result_file.read_text()) == result


def test_a_result_without_a_recorded_config_is_kept_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    cli_main(reproduce(tmp_path))
    result_file = tmp_path / "results" / "parity" / "ntp" / "seed0.json"
    result = json.loads(result_file.read_text())
    del result["config"]  # as written before result files recorded it
    result_file.write_text(json.dumps(result))
    capsys.readouterr()
    cli_main(reproduce(tmp_path))
    out = " ".join(capsys.readouterr().out.split())  # the note may wrap
    assert "seed0.json records no config, so its recipe is not checked; delete it to rerun it with this one" in out
    assert out.count("done already") == 2 and json.loads(result_file.read_text()) == result


def test_first_seed_shifts_the_seeds_so_processes_can_share_a_table(tmp_path: Path) -> None:
    argv = reproduce(tmp_path)
    argv[argv.index("--methods") + 1] = "ntp"
    cli_main([*argv, "--first_seed", "2"])
    record = json.loads((tmp_path / "results" / "parity" / "ntp" / "seed2.json").read_text())
    assert record["seed"] == 2 and "--seeds 1 --first_seed 2" in record["command"]
    assert record["config"]["seed"] == 2 and record["config"]["train"]["max_steps"] == 4
    assert sorted(p.name for p in (tmp_path / "results" / "parity" / "ntp").iterdir()) == ["seed2.json"]


def test_a_halting_head_is_evaluated_with_its_rule_and_left_out_of_baselines(tmp_path: Path) -> None:
    argv = reproduce(tmp_path)
    argv[argv.index("--override") + 1] = TINY.replace("n_heads: 2}", "n_heads: 2, halting_head: true}")
    cli_main(argv)
    looped = json.loads((tmp_path / "results" / "parity" / "looped" / "seed0.json").read_text())
    assert set(looped["rules"]) == {"oracle", "confidence", "confidence-per-example", "halting"}
    configs = {m: (tmp_path / "runs" / "parity" / m / "seed0" / "config.yaml").read_text() for m in ("looped", "ntp")}
    assert "halting_head: true" in configs["looped"] and "halting_head: false" in configs["ntp"]


def test_interrupted_run_is_resumed(tmp_path: Path) -> None:
    """A run directory with a last/ checkpoint but no summary is continued, not restarted."""
    from looped.cli.train import prepare_run_dir
    from looped.training.trainer import Trainer

    args = cli_main.__globals__["build_parser"]().parse_args(reproduce(tmp_path))["reproduce"]
    config = run_config("parity", "ntp", 0, args)
    run_dir = tmp_path / "runs" / "parity" / "ntp" / "seed0"
    prepare_run_dir(run_dir, config, resume=False)
    Trainer(config, run_dir, show_progress=False).run(until=2)
    assert not (run_dir / "summary.json").exists()  # stopped early: last/ is saved, no summary is written
    cli_main(reproduce(tmp_path)[:4] + ["ntp", *reproduce(tmp_path)[5:]])
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert max(steps) == 4 and json.loads((run_dir / "summary.json").read_text())["steps"] == 4


@pytest.mark.parametrize(("task", "train_max"), [("copy", 20), ("parity", 20), ("multiplication", 11), ("parity", 3)])
def test_default_test_lengths_cover_training_range_headline_and_twice_it(task: str, train_max: int) -> None:
    lengths = default_test_lengths(task, train_max)
    assert lengths == sorted(set(lengths))
    headline = headline_length(task, train_max)
    assert lengths[:train_max] == list(range(1, train_max + 1))
    assert headline in lengths and lengths[-1] == max(2 * train_max, headline)
    gaps = [b - a for a, b in zip(lengths, lengths[1:], strict=False)]
    assert max(gaps) <= 5


def test_headline_lengths_and_recipe_fallback(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [headline_length(t, 19) for t in ("parity", "copy", "multiplication")] == [40, 29, 16]
    assert merge({"train": {"lr": 1, "max_steps": 2}}, {"train": {"lr": 3}}) == {"train": {"lr": 3, "max_steps": 2}}
    monkeypatch.setattr("looped.cli.reproduce.RECIPES", tmp_path / "no-recipes")
    args = cli_main.__globals__["build_parser"]().parse_args(reproduce(tmp_path))["reproduce"]
    config = run_config("binary_sum", "ntp", 2, args)
    assert (config.task, config.method, config.seed, config.train.max_steps) == ("binary_sum", "ntp", 2, 4)
    assert "binary_sum uses the default run config" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("task", "scores", "verdict"),
    [
        ("copy", [0.96, 0.95, 0.99], "met (3 seeds, min 0.950)"),
        ("copy", [0.99, 0.99], "not met (2 seeds, min 0.990)"),  # fewer than 3 seeds
        ("parity", [1.0, 0.98, 1.0], "not met (3 seeds, min 0.980)"),  # parity's bar is 0.99
    ],
)
def test_target_line(task: str, scores: list[float], verdict: str) -> None:
    runs = [{"lengths": [29, 30], "rules": {"confidence-per-example": {"accuracy": [0.0, score]}}} for score in scores]
    assert target_line(task, {"looped": runs}, 30).endswith(f"for each of 3 seeds: {verdict}.")
    assert target_line(task, {"ntp": runs}, 30).endswith(": not run.")


@pytest.mark.parametrize(("values", "shown"), [([20], "20"), ([20, 20, 20], "20"), ([7, 5, 6], "5-7"), ([], "-")])
def test_span_of_curriculum_lengths(values: list[int], shown: str) -> None:
    assert span(values) == shown


def test_overview_row_per_task() -> None:
    def run(rules: dict[str, float]) -> dict:
        return {
            "lengths": [20, 30], "headline_length": 30, "train_max": 20, "command": "looped reproduce",
            "train_seconds": 60.0, "rules": {rule: {"accuracy": [1.0, score]} for rule, score in rules.items()},
        }  # fmt: skip

    scores = [(1.0, 0.7, 0.96), (0.9, 0.6, 0.5), (0.8, 0.5, 0.97)]
    rules = ("oracle", "confidence", "confidence-per-example")
    looped = [run(dict(zip(rules, score, strict=True))) for score in scores]
    no_injection = run(dict(zip(rules, (0.9, 0.4, 0.7), strict=True)))
    results = {
        "copy": {"looped": looped, "ntp": [run({"fixed-depth": 0.2})], "fap-pause": [run({"fixed-depth": 0.4})]},
        "addition": {"ntp": [run({"fixed-depth": 0.1})]},
        "parity": {"ntp": [run({"fixed-depth": 0.6})], "looped-no-injection": [no_injection]},
    }
    header, _, copy, addition, parity = overview(results)
    assert header.startswith("| task | n (trained to) | bar |")
    assert copy == "| copy | 30 (20) | 0.95 | 3 | 0.900 / 0.800 | 0.600 / 0.500 | 0.810 / 0.500 | fap-pause 0.400 | not met |"  # noqa: E501
    assert addition == "| addition | 30 (20) | 0.95 | 0 | - | - | - | ntp 0.100 | not run |"
    assert parity.endswith("| looped-no-injection 0.700 | not run |")  # read with per-example confidence
    looped[1]["restarts"] = 2
    assert overview(results)[2].startswith("| copy | 30 (20) | 0.95 | 3 (2 restarts) | 0.900 / 0.800 |")
    assert "| ntp | fixed-depth | 1 | 0.200 | 0.200 | - | 0 | 60 s |" in results_table(results)
    assert "| looped | oracle | 3 | 0.900 | 0.800 | - | 2 | 60 s |" in results_table(results)
