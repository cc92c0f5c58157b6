"""Filtered BC (LMRL-Gym): BC on the best trajectories only, the top x% by return or the successes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ml.rl.algos.bc import BC
from ml.rl.envs.trajectories import Trajectory


def is_success(trajectory: Trajectory) -> bool:
    """A game that ended on its own (not at the step cap). In the tasks with a success notion (maze,
    text-nav, wordle, 20Q, city) that is reaching the goal; elsewhere prefer `top_fraction`."""
    return trajectory.done and not trajectory.truncated


def select_trajectories(
    trajectories: list[Trajectory], top_fraction: float = 0.1, successes_only: bool = False
) -> list[Trajectory]:
    """The successes, or the ceil(top_fraction * n) highest-return trajectories (ties: earlier first)."""
    if successes_only:
        return [t for t in trajectories if is_success(t)]
    if not 0 < top_fraction <= 1:
        raise ValueError("top_fraction must be in (0, 1]")
    keep = max(1, math.ceil(top_fraction * len(trajectories)))
    order = sorted(range(len(trajectories)), key=lambda i: -trajectories[i].ret)
    chosen = sorted(order[:keep])  # keep the file order
    return [trajectories[i] for i in chosen]


@dataclass
class FilteredBC(BC):
    top_fraction: float = 0.1
    successes_only: bool = False

    name = "filtered_bc"

    def select(self, trajectories: list[Trajectory]) -> list[Trajectory]:
        chosen = select_trajectories(trajectories, self.top_fraction, self.successes_only)
        if not chosen:
            raise ValueError("filtered BC kept no trajectories (no successes in the data?)")
        return chosen
