"""Policies that play a text game's agent side: scripted ones (a task's solver or its behaviour policy)
and a causal LM checkpoint. A policy is `policy(env, history) -> action text` (see trajectories.Policy).

    make_policy({"kind": "scripted"}, task="wordle", seed=0)
    make_policy({"kind": "checkpoint", "path": "var/models/agent"})
"""

from __future__ import annotations

import inspect
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.rl.envs.base import TASKS, EnvError, History, TextEnv, Turn
from ml.rl.envs.trajectories import Policy


def _solver(task: str) -> Policy | None:
    """The task module's `solver_policy`, as a policy, where it has one. Some modules define it as the
    policy itself (env, history), others as a factory taking an rng."""
    factory = TASKS.get(task)
    module = sys.modules.get(getattr(factory, "__module__", "")) if factory else None
    solver = getattr(module, "solver_policy", None)
    if solver is None:
        return None
    if len(inspect.signature(solver).parameters) >= 2:
        return solver
    return solver(random.Random(0))


def scripted_policy(task: str, seed: int | None = 0, prefer: str = "solver") -> Policy:
    """The task's solver (prefer="solver", the default, where the task has one) or its behaviour
    policy seeded with `seed` (prefer="behaviour"). Raises EnvError for a task with neither."""
    from ml.rl import envs  # noqa: F401  (registers every task and behaviour)
    from ml.rl.envs.datasets import BEHAVIOURS

    if task not in TASKS:
        raise EnvError(f"unknown task {task!r}")
    if prefer == "solver":
        solver = _solver(task)
        if solver is not None:
            return solver
    if task in BEHAVIOURS:
        return BEHAVIOURS[task].make_policy(random.Random(seed))
    solver = _solver(task)
    if solver is not None:
        return solver
    raise EnvError(f"{task} has no scripted policy")


def history_text(history: Sequence[Turn]) -> str:
    """The history as the LM sees it: every turn's text, each newline-terminated, concatenated."""
    return "".join(t.text if t.text.endswith("\n") else t.text + "\n" for t in history)


class LMPolicy:
    """A causal LM that reads the history and writes the next line. Loaded once per instance."""

    def __init__(
        self,
        model_dir: str | Path,
        *,
        max_new_tokens: int = 48,
        temperature: float = 0.0,
        device: str | None = None,
        seed: int = 0,
        beta: float | None = None,
    ):
        from ml.lm.loading import load_model
        from ml.rl.algos.value_heads import load_heads
        from ml.rl.evaluate import checkpoint_beta

        self.model, self.tokenizer = load_model(model_dir, device=device)
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        # Checkpoints with value heads (ILQL, MC returns) decode as they were evaluated:
        # logits + beta * (min Q - V), with the checkpoint's own beta unless told otherwise.
        heads = load_heads(model_dir, device=self.model.device)
        beta = checkpoint_beta(model_dir) if beta is None else beta
        self.guide = heads.guide(beta) if heads is not None and beta else None

    def __call__(self, env: TextEnv | None, history: History) -> str:
        from ml.lm.generate import next_line

        # Seeded by the game's progress, like LMOracle, so a replayed game gets the same moves.
        return next_line(
            self.model,
            self.tokenizer,
            history_text(history),
            self.max_new_tokens,
            self.temperature,
            self.seed + len(history),
            guide=self.guide,
        )


def load_agent(path: str | Path, **options: Any) -> Policy:
    """The policy saved at `path`: a CALM agent (its directory holds calm.json) or a causal LM."""
    from ml.calm import is_calm_checkpoint

    if is_calm_checkpoint(path):
        from ml.calm.train import CalmAgent

        return CalmAgent.load(path)
    return LMPolicy(path, **options)


def make_policy(spec: dict[str, Any], *, task: str | None = None, seed: int | None = 0) -> Policy:
    """A policy from a small spec: {"kind": "scripted", "prefer"?: "solver"|"behaviour"} (needs `task`)
    or {"kind": "checkpoint", "path": ..., "temperature"?, "max_new_tokens"?}."""
    kind = spec.get("kind")
    if kind == "scripted":
        if not task:
            raise EnvError("a scripted policy needs its task")
        return scripted_policy(task, seed, spec.get("prefer", "solver"))
    if kind == "checkpoint":
        if not spec.get("path"):
            raise EnvError("a checkpoint policy needs a path")
        options = {k: spec[k] for k in ("temperature", "max_new_tokens", "device") if k in spec}
        return load_agent(spec["path"], seed=seed or 0, **options)
    raise EnvError(f"unknown policy kind {kind!r}; expected scripted or checkpoint")
