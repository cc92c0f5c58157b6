"""Offline RL algorithms for text agents. Each is an object with `select(trajectories)` (which data it
trains on) and `loss(model, batch) -> (loss, stats)`; the trainer (ml.rl.trainer) runs them all."""

from ml.rl.algos.bc import BC, action_token_loss
from ml.rl.algos.filtered_bc import FilteredBC, select_trajectories

ALGORITHMS = {"bc": BC, "filtered_bc": FilteredBC}

__all__ = ["ALGORITHMS", "BC", "FilteredBC", "action_token_loss", "select_trajectories"]
