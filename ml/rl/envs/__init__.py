"""The LMRL-Gym tasks as text environments. Importing this package registers every task."""

import importlib
from pathlib import Path

from ml.rl.envs.base import (  # noqa: F401
    TASKS,
    EnvError,
    GameOver,
    History,
    Normalisation,
    StepResult,
    TextEnv,
    Turn,
    VectorEnv,
    make_env,
    register_task,
)

# The modules that register tasks (and their behaviour policies). One whose file is not there yet is
# skipped; any other import error is real and must surface.
TASK_MODULES = (
    "maze",
    "textnav",
    "wordle",
    "chess_env",
    "endgames",
    "twenty_questions",
    "guess_city",
    "car_dealer",
)

_HERE = Path(__file__).resolve().parent
for _name in TASK_MODULES:
    if (_HERE / f"{_name}.py").is_file():
        importlib.import_module(f"ml.rl.envs.{_name}")

# Tasks that live with their own method's package (CALM's flight booking).
importlib.import_module("ml.calm.env")
