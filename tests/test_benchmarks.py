"""The benchmark scripts run against the library's current API (they are not imported by anything else, so a
changed signature would otherwise only show when someone measures)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run_script(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bench_train_reports_both_batchings_and_their_ratio() -> None:
    out = run_script("bench_train.py", "--steps", "1", "--max-length", "3", "--batch-size", "4", "--threads", "1")
    rates = {mode: float(rate) for mode, rate in re.findall(r"(per-size|mixed):\s+([\d.]+) samples/s", out)}
    assert set(rates) == {"per-size", "mixed"} and min(rates.values()) > 0
    ratio = float(re.search(r"ratio: ([\d.]+)x", out).group(1))
    assert ratio == pytest.approx(rates["per-size"] / rates["mixed"], rel=0.01)


def test_bench_data_reports_every_task() -> None:
    from looped.tasks import task_names

    out = run_script("bench_data.py", "--length", "4", "--batch-size", "8", "--seconds", "0.05")
    for name in task_names():
        assert re.search(rf"{name}\b.*\d", out), f"{name} missing from:\n{out}"
