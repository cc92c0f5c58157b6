"""One interface for every text game (LMRL-Gym style), plus the pieces every task shares.

A history is a list of Turns: (text, is_action). Every utterance, the agent's and the environment's,
ends with a newline. `reset(seed)` returns the opening history; `step(action_text)` appends the
action and the environment's reply and returns (observation, reward, done, info). A game over its
step cap, or already finished, is `done`; stepping a finished game raises GameOver.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Turn:
    text: str
    is_action: bool


History = list[Turn]


class GameOver(RuntimeError):
    """step() on a finished game."""


class EnvError(ValueError):
    """A task cannot be set up as asked (unknown task, missing engine binary, bad option)."""


@dataclass(frozen=True)
class Normalisation:
    """(min, dataset average, max) return: 0, 50 and 100 on the normalised scale."""

    min: float
    avg: float
    max: float
    source: str = "paper"  # "paper", or "measured" where our oracle changes the task

    def score(self, ret: float) -> float:
        if ret < self.avg:
            return 50.0 * (ret - self.min) / (self.avg - self.min)
        return 50.0 + 50.0 * (ret - self.avg) / (self.max - self.avg)


def line(text: str) -> str:
    """An utterance as it goes into a history: stripped, newline-terminated."""
    return text.strip() + "\n"


@dataclass
class StepResult:
    observation: str
    reward: float
    done: bool
    info: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):  # so `obs, reward, done, info = env.step(a)` works
        return iter((self.observation, self.reward, self.done, self.info))


class TextEnv:
    """Base class. Subclasses set `name`, `max_steps`, `normalisation`, and implement `_reset`
    (returns the first observation) and `_step` (returns a StepResult for one parsed action)."""

    name: str = ""
    max_steps: int = 0
    normalisation: Normalisation
    agent_role: str = "player"  # the side the policy plays; the environment plays the other

    def __init__(self) -> None:
        self.history: History = []
        self.steps = 0
        self.done = True
        self.total_reward = 0.0
        self.rng = random.Random(0)
        self.seed: int | None = None

    # --- public API

    def reset(self, seed: int | None = None) -> History:
        self.seed = seed
        self.rng = random.Random(seed)
        self.steps, self.done, self.total_reward = 0, False, 0.0
        self.history = [Turn(line(self._reset()), False)]
        return list(self.history)

    def step(self, action_text: str) -> StepResult:
        if self.done:
            raise GameOver(f"{self.name}: the game is over; call reset()")
        action = action_text if isinstance(action_text, str) else str(action_text)
        self.history.append(Turn(line(action), True))
        self.steps += 1
        result = self._step(action.strip())
        if not result.done and self.steps >= self.max_steps:
            result.done = True
            result.info["truncated"] = True
        self.done = result.done
        self.total_reward += result.reward
        self.history.append(Turn(line(result.observation), False))
        result.observation = line(result.observation)
        return result

    def replay(self, seed: int | None, actions: Sequence[str]) -> History:
        """Rebuild a game from its seed and recorded actions (how the web app restores a game on each
        request). Envs are deterministic given both; one that is not (an engine opponent) overrides
        this to re-apply the recorded replies instead of asking again. Returns the history."""
        self.reset(seed)
        for action in actions:
            self.step(action)
        return list(self.history)

    def legal_actions(self) -> list[str] | None:
        """A hint of valid actions where the task has a small set; None otherwise."""
        return None

    def render(self) -> dict[str, Any]:
        """Structured state for the web UI (JSON-serialisable)."""
        return {"task": self.name, "steps": self.steps, "done": self.done, "return": self.total_reward}

    def close(self) -> None:
        """Release external resources (engine processes)."""

    # --- for subclasses

    def _reset(self) -> str:
        raise NotImplementedError

    def _step(self, action: str) -> StepResult:
        raise NotImplementedError


class VectorEnv:
    """N copies of one task stepped together (for rollouts and training). Finished games stay finished
    until `reset` is called again; stepping them returns a zero-reward, done result."""

    def __init__(self, make: Callable[[], TextEnv], n: int):
        self.envs = [make() for _ in range(n)]

    def reset(self, seeds: Sequence[int]) -> list[History]:
        return [env.reset(s) for env, s in zip(self.envs, seeds, strict=True)]

    def step(self, actions: Sequence[str | None]) -> list[StepResult]:
        out = []
        for env, action in zip(self.envs, actions, strict=True):
            if env.done or action is None:
                out.append(StepResult("", 0.0, True, {"skipped": True}))
            else:
                out.append(env.step(action))
        return out

    @property
    def done(self) -> list[bool]:
        return [env.done for env in self.envs]

    def close(self) -> None:
        for env in self.envs:
            env.close()


# --- registry: task name -> factory(**options)

TASKS: dict[str, Callable[..., TextEnv]] = {}


def register_task(name: str):
    def wrap(factory: Callable[..., TextEnv]):
        TASKS[name] = factory
        return factory

    return wrap


def make_env(name: str, **options: Any) -> TextEnv:
    from ml.rl import envs  # noqa: F401  (importing the package registers every task)

    try:
        factory = TASKS[name]
    except KeyError:
        known = ", ".join(sorted(TASKS))
        raise EnvError(f"unknown task {name!r}; known tasks: {known}") from None
    return factory(**options)
