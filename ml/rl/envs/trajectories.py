"""Trajectories as JSONL: what dataset generators write, human games are saved as, and trainers read.

A file starts with one header line, {"header": {...}}, recording the task, the generator (or "human")
and its seed; then one trajectory a line:

    {"task", "seed", "players": {"agent": ..., "environment": ...},
     "turns": [{"text", "is_action", "reward"}], "return", "done", "truncated"}

`reward` sits on action turns (the reward the step after it returned) and is 0 on the others.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ml.rl.envs.base import History, TextEnv, Turn

Policy = Callable[[TextEnv, History], str]  # (env, history so far) -> next action text


@dataclass
class TurnRecord:
    text: str
    is_action: bool
    reward: float = 0.0


@dataclass
class Trajectory:
    task: str
    seed: int | None
    turns: list[TurnRecord]
    players: dict[str, str] = field(default_factory=dict)
    done: bool = False
    truncated: bool = False

    @property
    def ret(self) -> float:
        return sum(t.reward for t in self.turns)

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "seed": self.seed,
            "players": self.players,
            "turns": [asdict(t) for t in self.turns],
            "return": self.ret,
            "done": self.done,
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Trajectory:
        turns = [
            TurnRecord(t["text"], bool(t["is_action"]), float(t.get("reward", 0.0))) for t in raw["turns"]
        ]
        return cls(
            raw["task"],
            raw.get("seed"),
            turns,
            raw.get("players", {}),
            bool(raw.get("done")),
            bool(raw.get("truncated")),
        )


def rollout(env: TextEnv, policy: Policy, seed: int, players: dict[str, str] | None = None) -> Trajectory:
    """Play one game of `env` with `policy` from `seed` to the end (or the step cap)."""
    history = env.reset(seed)
    turns = [TurnRecord(t.text, t.is_action) for t in history]
    truncated = False
    while not env.done:
        action = policy(env, list(env.history))
        result = env.step(action)
        turns.append(TurnRecord(env.history[-2].text, True, float(result.reward)))
        turns.append(TurnRecord(result.observation, False))
        truncated = bool(result.info.get("truncated"))
    return Trajectory(env.name, seed, turns, players or {}, env.done, truncated)


def from_history(task: str, seed: int | None, history: Iterable[Turn], rewards: list[float]) -> Trajectory:
    """A trajectory from a saved history and the reward of each action, in order."""
    turns, it = [], iter(rewards)
    for t in history:
        turns.append(TurnRecord(t.text, t.is_action, float(next(it, 0.0)) if t.is_action else 0.0))
    return Trajectory(task, seed, turns)


def header(task: str, generator: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {
        "task": task,
        "generator": generator,
        "seed": seed,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **extra,
    }


def write_jsonl(path: Path | str, head: dict[str, Any], trajectories: Iterable[Trajectory]) -> int:
    """Write a header and trajectories; returns how many were written."""
    n = 0
    with Path(path).open("w") as f:
        f.write(json.dumps({"header": head}) + "\n")
        for trajectory in trajectories:
            f.write(json.dumps(trajectory.to_json()) + "\n")
            n += 1
    return n


def read_jsonl(path: Path | str) -> tuple[dict[str, Any], Iterator[Trajectory]]:
    """The header and an iterator over the trajectories of a file written by write_jsonl."""
    f = Path(path).open()
    first = f.readline()
    try:
        head = json.loads(first)["header"]
    except (ValueError, KeyError, TypeError):
        f.close()
        raise ValueError(f"{path}: the first line is not a trajectory-file header") from None

    def lines() -> Iterator[Trajectory]:
        with f:
            for n, raw in enumerate(f, start=2):
                if raw.strip():
                    try:
                        yield Trajectory.from_json(json.loads(raw))
                    except (ValueError, KeyError, TypeError) as exc:
                        raise ValueError(f"{path}: line {n} is not a trajectory ({exc})") from None

    return head, lines()
