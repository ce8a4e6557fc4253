"""Every committed recipe loads into a valid run config and builds its task, so a typo fails here, not hours
into a run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from looped.config import RECIPES, RunConfig
from looped.tasks import get_task, task_names

RECIPE_FILES = sorted(RECIPES.glob("**/*.yaml"))


def test_every_task_has_a_cpu_recipe_and_a_reference_one() -> None:
    for task in task_names():
        assert (RECIPES / f"{task}.yaml").is_file() and (RECIPES / "paper" / f"{task}.yaml").is_file()


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda p: str(p.relative_to(RECIPES)))
def test_recipe_is_a_valid_run_config(path: Path) -> None:
    config = RunConfig.from_dict(yaml.safe_load(path.read_text()))  # unknown keys and bad values raise
    assert config.task == path.stem
    get_task(config.task, **config.task_options)
