"""Options of the online methods, PPO and online filtered BC. They learn from their own rollouts, so
the offline trainer's `select`/`loss` do not apply: `online = True` tells the trainer to hand the run to
ml.rl.online.train_online, which reads these settings from RLConfig.options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ml.rl.data import MAX_NEW_TOKENS, Batch
from ml.rl.envs.trajectories import Trajectory


@dataclass
class _Online:
    episodes_per_iter: int = 32  # rollouts per iteration; RLConfig.steps counts iterations
    temperature: float = 1.0  # sampling temperature of the rollouts
    max_new_tokens: int = MAX_NEW_TOKENS  # per action, as LMPolicy
    bc_steps: int = 1000  # BC steps on RLConfig.dataset when there is no init_from to start from

    name = ""
    online = True

    def __post_init__(self) -> None:
        if self.episodes_per_iter < 1 or self.max_new_tokens < 1 or self.bc_steps < 1:
            raise ValueError("episodes_per_iter, max_new_tokens and bc_steps must be >= 1")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")

    def select(self, trajectories: list[Trajectory]) -> list[Trajectory]:
        return trajectories

    def loss(self, model, batch: Batch) -> tuple[torch.Tensor, dict[str, Any]]:
        raise NotImplementedError("online: see ml.rl.online")


@dataclass
class PPO(_Online):
    """PPO per action token with a KL penalty to the BC (starting) policy."""

    ppo_epochs: int = 2
    clip: float = 0.2  # policy ratio clip
    value_clip: float = 0.2  # 0 turns value clipping off
    vf_coef: float = 0.5
    kl_coef: float = 0.05  # per-token reward penalty kl_coef * (logp - ref_logp)
    lam: float = 0.95  # GAE lambda
    bc_coef: float = 0.0  # > 0 adds BC on RLConfig.dataset to every update
    # The env's rewards are multiplied by this; 0: 1 / the largest |return| of the first iteration's
    # games, fixed for the run. Returns of -100 would give value losses in the thousands, whose
    # gradients swamp the policy's in the shared trunk (and make value_clip meaningless).
    reward_scale: float = 0.0
    # Stop an iteration's updates once the policy has moved this far (mean per-token KL estimate
    # from the rollout-time policy); 0: always run every epoch.
    target_kl: float = 0.02

    name = "ppo"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.ppo_epochs < 1 or self.clip <= 0 or self.value_clip < 0:
            raise ValueError("ppo_epochs must be >= 1, clip > 0 and value_clip >= 0")
        if not 0 <= self.lam <= 1:
            raise ValueError("lam must be in [0, 1]")
        if min(self.kl_coef, self.vf_coef, self.bc_coef, self.reward_scale, self.target_kl) < 0:
            raise ValueError("kl_coef, vf_coef, bc_coef, reward_scale and target_kl must be >= 0")


@dataclass
class OnlineFilteredBC(_Online):
    """Each iteration: BC on the top `top_fraction` of that iteration's rollouts by return."""

    top_fraction: float = 0.3
    epochs: int = 1  # passes over the kept windows per iteration

    name = "online_filtered_bc"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.top_fraction <= 1:
            raise ValueError("top_fraction must be in (0, 1]")
        if self.epochs < 1:
            raise ValueError("epochs must be >= 1")
