"""Behaviour cloning: next-token cross-entropy on the agent's tokens only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from ml.rl.data import Batch
from ml.rl.envs.trajectories import Trajectory


def action_token_loss(
    logits: torch.Tensor, input_ids: torch.Tensor, action_mask: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy of predicting each action token from the tokens before it.

    logits[:, t] predicts input_ids[:, t + 1], so a position counts only if the token it predicts is an
    agent token; environment text (and padding, whose mask is 0) never contributes.
    """
    targets = input_ids[:, 1:]
    weights = action_mask[:, 1:].to(logits.dtype)
    per_token = F.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="none"
    ).view_as(weights)
    return (per_token * weights).sum() / weights.sum().clamp(min=1.0)


@dataclass
class BC:
    """Plain BC on every trajectory of the dataset."""

    name = "bc"

    def select(self, trajectories: list[Trajectory]) -> list[Trajectory]:
        return trajectories

    def prepare(self, trajectories: list[Trajectory]) -> None:
        """Fit data-dependent settings (the value methods' reward scale) on the chosen trajectories."""

    def setup(self, model, gamma: float) -> torch.nn.Module | None:
        """Modules trained beside the LM (value heads), or None."""
        return None

    def after_step(self) -> None:
        """Called after every optimiser step (target-network updates)."""

    def loss(self, model, batch: Batch) -> tuple[torch.Tensor, dict[str, Any]]:
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
        loss = action_token_loss(logits, batch.input_ids, batch.action_mask)
        return loss, {"bc_loss": loss.item()}
