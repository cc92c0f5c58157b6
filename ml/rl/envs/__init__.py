"""The LMRL-Gym tasks as text environments. Importing this package registers every task."""

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
