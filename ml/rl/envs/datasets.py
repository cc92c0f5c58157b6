"""Offline datasets: roll out each task's behaviour policy (the paper's recipes) into trajectory JSONL.

The command line is ml/rl/envs/make_dataset.py (python -m ml.rl.envs.make_dataset TASK ...).

Each task module registers its behaviour policy with `behaviour("task", "recipe description")`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.rl.envs.base import TextEnv, make_env
from ml.rl.envs.trajectories import Policy, header, rollout, write_jsonl


@dataclass(frozen=True)
class Behaviour:
    task: str
    recipe: str  # one line for the file header, e.g. "85% random moves, 15% shortest-path solver"
    make_policy: Callable[[random.Random], Policy]


BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(task: str, recipe: str):
    """Register `make_policy(rng) -> policy` as the task's offline-data generator."""

    def wrap(make_policy: Callable[[random.Random], Policy]):
        BEHAVIOURS[task] = Behaviour(task, recipe, make_policy)
        return make_policy

    return wrap


def generate(task: str, n: int, seed: int, out: Path | str, **env_options: Any) -> dict[str, Any]:
    """Write `n` behaviour-policy trajectories of `task` to `out`; returns a summary."""
    from ml.rl import envs  # noqa: F401  (registers tasks and behaviours)

    if task not in BEHAVIOURS:
        raise ValueError(f"no behaviour policy for {task!r}; have: {', '.join(sorted(BEHAVIOURS))}")
    spec = BEHAVIOURS[task]
    env: TextEnv = make_env(task, **env_options)
    rng = random.Random(seed)
    policy = spec.make_policy(rng)
    started = time.perf_counter()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    returns: list[float] = []

    def trajectories():
        for i in range(n):
            t = rollout(
                env, policy, seed * 1_000_003 + i, {"agent": f"behaviour:{task}", "environment": "env"}
            )
            returns.append(t.ret)
            yield t

    head = header(task, f"behaviour:{spec.recipe}", seed, n=n, options=env_options)
    try:
        write_jsonl(out, head, trajectories())
    finally:
        env.close()
    seconds = time.perf_counter() - started
    return {
        "task": task,
        "n": n,
        "seconds": round(seconds, 3),
        "bytes": out.stat().st_size,
        "mean_return": round(sum(returns) / len(returns), 4) if returns else None,
        "path": str(out),
    }
