"""Token-level value heads on a causal LM's last hidden states, their losses, and value-guided decoding.

The per-token MDP (as in ILQL): the state at position p is the text up to token p, the action is the
next token, and only agent tokens are actions. For a batch from ml.rl.data, position p "acts" when
token p + 1 is an agent token; its reward is rewards[p + 1] and its next state is the next acting
position in the window. The discount is per action token, as in data.returns_to_go.

A window ends at its own action, so that action's last token has no next state in the window; its
transition is masked out (unless the game ended there). The same transition is trained in the later
windows that still hold it as context.

Heads are two-layer MLPs: Q heads map a hidden state to one value per vocabulary token, the V head
to one number. Target Q heads are Polyak averages of the Q heads (the trunk is shared, so the
targets read the current hidden states).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ml.rl.data import Batch


def fitted_reward_scale(trajectories) -> float:
    """1 / the largest |undiscounted return| in the data (1 if all are 0). Adam moves a head's
    weights by about the learning rate per step whatever the gradient's size, so Q values of order
    1 are learnt, and pushed apart by CQL, in a few hundred steps; raw returns of -100 are not."""
    largest = max((abs(t.ret) for t in trajectories), default=0.0)
    return 1.0 / largest if largest > 0 else 1.0


def mlp(width: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, out))


class ValueHeads(nn.Module):
    """`n_q` Q heads (+ Polyak targets) and an optional V head on hidden states of size `width`."""

    def __init__(self, width: int, vocab: int, n_q: int = 2, with_v: bool = True):
        super().__init__()
        self.spec = {"width": width, "vocab": vocab, "n_q": n_q, "with_v": with_v}
        self.q = nn.ModuleList(mlp(width, vocab) for _ in range(n_q))
        self.q_target = copy.deepcopy(self.q).requires_grad_(False)
        self.v = mlp(width, 1) if with_v else None

    def qs(self, hidden: torch.Tensor, target: bool = False) -> list[torch.Tensor]:
        return [head(hidden) for head in (self.q_target if target else self.q)]

    def value(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.v is None:
            return hidden.new_zeros(hidden.shape[:-1])
        return self.v(hidden).squeeze(-1)

    def advantage(self, hidden: torch.Tensor) -> torch.Tensor:
        """min_i Q_target_i(h, .) - V(h), per vocabulary token: what decoding adds to the logits."""
        q = torch.stack(self.qs(hidden, target=True)).min(dim=0).values
        return q - self.value(hidden).unsqueeze(-1)

    @torch.no_grad()
    def polyak(self, rate: float) -> None:
        """target <- (1 - rate) * target + rate * online."""
        for target, online in zip(self.q_target.parameters(), self.q.parameters(), strict=True):
            target.lerp_(online, rate)

    def guide(self, beta: float):
        """A ml.lm.generate.LogitsGuide: logits + beta * (min Q - V). beta = 0 decodes as the plain LM."""

        def adjust(logits: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
            if beta == 0:
                return logits
            return logits + beta * self.advantage(hidden.to(next(self.parameters()).dtype)).float()

        return adjust


HEADS_SPEC_FILE = "value_heads.json"


def save_heads(heads: ValueHeads, out_dir: Path | str) -> None:
    from ml.rl.trainer import VALUE_HEADS_FILE

    out = Path(out_dir)
    torch.save(heads.state_dict(), out / VALUE_HEADS_FILE)
    (out / HEADS_SPEC_FILE).write_text(json.dumps(heads.spec) + "\n")


def load_heads(checkpoint: Path | str, device=None) -> ValueHeads | None:
    """The value heads saved beside a checkpoint, or None for a checkpoint without them."""
    from ml.rl.trainer import VALUE_HEADS_FILE

    path = Path(checkpoint)
    if not (path / HEADS_SPEC_FILE).is_file() or not (path / VALUE_HEADS_FILE).is_file():
        return None
    heads = ValueHeads(**json.loads((path / HEADS_SPEC_FILE).read_text()))
    heads.load_state_dict(torch.load(path / VALUE_HEADS_FILE, map_location="cpu", weights_only=True))
    return heads.to(device or "cpu").eval()


# --- losses on plain tensors (unit-tested on hand-built values)


def expectile_loss(diff: torch.Tensor, tau: float, mask: torch.Tensor) -> torch.Tensor:
    """Masked mean of |tau - 1(diff < 0)| * diff^2, diff = target - V. tau > 0.5 leans V towards the
    upper expectile of the targets (towards the best in-data action)."""
    weight = torch.where(diff < 0, 1 - tau, tau)
    return masked_mean(weight * diff.pow(2), mask)


def cql_loss(q_all: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Masked mean of logsumexp_a Q(s, a) - Q(s, a_data): pushes down the Q of tokens the data never took."""
    taken = q_all.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    return masked_mean(torch.logsumexp(q_all, dim=-1) - taken, mask)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def next_acting_positions(acts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each position p of acts (B, T) (1 where p acts), the next q > p that acts, and whether there
    is one. Missing ones point at p itself (callers mask them)."""
    batch, width = acts.shape
    big = width + 1
    index = torch.arange(width, device=acts.device).expand(batch, width)
    own = torch.where(acts > 0, index, torch.full_like(index, big))
    at_or_after = own.flip(-1).cummin(-1).values.flip(-1)  # min over q >= p
    after = torch.cat([at_or_after[:, 1:], torch.full_like(at_or_after[:, :1], big)], dim=-1)
    exists = after < big
    return torch.where(exists, after, index), exists


@dataclass
class Transitions:
    """Per-position views of a batch, aligned so position p predicts token p + 1 (shapes (B, L-1))."""

    hidden: torch.Tensor  # (B, L-1, H)
    logits: torch.Tensor  # (B, L-1, V)
    actions: torch.Tensor  # long
    acts: torch.Tensor  # 1 where the predicted token is an agent token
    rewards: torch.Tensor
    dones: torch.Tensor
    returns_to_go: torch.Tensor
    next_pos: torch.Tensor  # long, the next acting position (see next_acting_positions)
    has_next: torch.Tensor  # bool


def transitions(model, batch: Batch, reward_scale: float = 1.0) -> Transitions:
    out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=True)
    acts = batch.action_mask[:, 1:]
    next_pos, has_next = next_acting_positions(acts)
    return Transitions(
        hidden=out.hidden_states[-1][:, :-1],
        logits=out.logits[:, :-1],
        actions=batch.input_ids[:, 1:],
        acts=acts,
        rewards=batch.rewards[:, 1:] * reward_scale,
        dones=batch.dones[:, 1:],
        returns_to_go=batch.returns_to_go[:, 1:] * reward_scale,
        next_pos=next_pos,
        has_next=has_next & (acts > 0),
    )


def bc_loss(t: Transitions) -> torch.Tensor:
    per_token = F.cross_entropy(
        t.logits.reshape(-1, t.logits.shape[-1]).float(), t.actions.reshape(-1), reduction="none"
    )
    return masked_mean(per_token.view_as(t.acts), t.acts)


def taken(q_all: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    return q_all.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
