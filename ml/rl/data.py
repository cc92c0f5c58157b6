"""Trajectory JSONL -> tensors for training a causal LM on a text game's agent side.

A trajectory's text is exactly what LMPolicy reads (policies.history_text: every turn newline-terminated,
concatenated), preceded by the tokenizer's <bos> as the tokenizer adds it to a prompt. Each turn is
tokenized on its own and the ids concatenated, so every token belongs to exactly one turn and the masks
are exact (with a char tokenizer this is identical to tokenizing the whole text).

Per token:
- action_mask: 1 on the tokens of agent utterances (their closing newline included: it is what ends an
  action at decoding time), 0 on environment text and <bos>;
- rewards: an action turn's reward on that utterance's last token, 0 elsewhere;
- dones: 1 on the last token of the last action of a finished game (truncated games count as finished);
- returns_to_go: the discounted return from each action token on. A token is an action and the discount
  is per action token (environment tokens are not steps): G_t = r_t + gamma * G_next, where next is the
  following action token. Environment tokens hold 0.

Windows. A game is usually longer than the model's context, so training examples are windows: for each
action, the most recent context ending at that action's last token. The action starts where it starts at
decoding time: generate keeps the last `block_size - max_new_tokens` tokens of an over-long prompt (48 new
tokens in LMPolicy), so a window is that much context before the action, then the action. (Windows of a
full `block_size` put every action at positions the policy never decodes at, and the tiny GPT-2's learned
positions then produce garbage at play time.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ml.rl.envs.trajectories import Trajectory, read_jsonl

MAX_NEW_TOKENS = 48  # LMPolicy's: the room generate leaves for the action in the context


@dataclass
class TokenizedTrajectory:
    input_ids: torch.Tensor  # (T,) long
    action_mask: torch.Tensor  # (T,) float, 1 on agent tokens
    rewards: torch.Tensor  # (T,) float
    dones: torch.Tensor  # (T,) float
    returns_to_go: torch.Tensor  # (T,) float, 0 on environment tokens
    action_starts: list[int]  # index of each action's first token
    action_ends: list[int]  # index of each action's last token
    ret: float  # the game's undiscounted return
    done: bool


def tokenize_trajectories(
    trajectories: Iterable[Trajectory], tokenizer, gamma: float = 0.99
) -> list[TokenizedTrajectory]:
    cache: dict[str, list[int]] = {}
    return [tokenize_trajectory(t, tokenizer, gamma, cache) for t in trajectories]


def load_trajectories(path: Path | str) -> list[Trajectory]:
    _, lines = read_jsonl(path)
    return list(lines)


def turn_text(text: str) -> str:
    """A turn's text as LMPolicy shows it (policies.history_text)."""
    return text if text.endswith("\n") else text + "\n"


def trajectory_texts(trajectories: Iterable[Trajectory]) -> list[str]:
    return ["".join(turn_text(t.text) for t in trajectory.turns) for trajectory in trajectories]


def returns_to_go(rewards: torch.Tensor, action_mask: torch.Tensor, gamma: float) -> torch.Tensor:
    """Discounted return-to-go over action tokens only (see the module docstring)."""
    return _tensor(_returns_to_go(rewards.tolist(), action_mask.tolist(), gamma))


def _returns_to_go(rewards: list[float], action_mask: list[float], gamma: float) -> list[float]:
    out = [0.0] * len(rewards)
    running = 0.0
    for i in range(len(rewards) - 1, -1, -1):
        if action_mask[i] > 0:
            running = rewards[i] + gamma * running
            out[i] = running
    return out


def _tensor(values: list, dtype=np.float32) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values, dtype=dtype))  # much faster than torch.tensor(list)


def tokenize_trajectory(
    trajectory: Trajectory, tokenizer, gamma: float = 0.99, cache: dict[str, list[int]] | None = None
) -> TokenizedTrajectory:
    """`cache` (text -> ids), shared across calls, saves re-tokenizing the many repeated turns of a dataset."""
    cache = {} if cache is None else cache
    missing = list({turn_text(t.text) for t in trajectory.turns} - cache.keys())
    if missing:
        cache.update(zip(missing, tokenizer(missing, add_special_tokens=False)["input_ids"], strict=True))
    ids: list[int] = [] if tokenizer.bos_token_id is None else [tokenizer.bos_token_id]
    mask: list[float] = [0.0] * len(ids)
    rewards: list[float] = [0.0] * len(ids)
    action_starts: list[int] = []
    action_ends: list[int] = []
    for turn in trajectory.turns:
        piece = cache[turn_text(turn.text)]
        if not piece:
            continue
        ids.extend(piece)
        mask.extend([1.0 if turn.is_action else 0.0] * len(piece))
        rewards.extend([0.0] * len(piece))
        if turn.is_action:
            rewards[-1] = float(turn.reward)
            action_starts.append(len(ids) - len(piece))
            action_ends.append(len(ids) - 1)
    dones = [0.0] * len(ids)
    if trajectory.done and action_ends:
        dones[action_ends[-1]] = 1.0
    return TokenizedTrajectory(
        input_ids=_tensor(ids, np.int64),
        action_mask=_tensor(mask),
        rewards=_tensor(rewards),
        dones=_tensor(dones),
        returns_to_go=_tensor(_returns_to_go(rewards, mask, gamma)),
        action_starts=action_starts,
        action_ends=action_ends,
        ret=trajectory.ret,
        done=trajectory.done,
    )


@dataclass
class Batch:
    input_ids: torch.Tensor  # (B, L) long, right-padded
    attention_mask: torch.Tensor  # (B, L) long
    action_mask: torch.Tensor  # (B, L) float, 0 on padding
    rewards: torch.Tensor
    dones: torch.Tensor
    returns_to_go: torch.Tensor

    def to(self, device) -> Batch:
        return Batch(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


class WindowDataset:
    """Every (trajectory, action) window of a list of tokenized trajectories (see the module docstring)."""

    def __init__(
        self,
        trajectories: Sequence[TokenizedTrajectory],
        block_size: int,
        max_new_tokens: int = MAX_NEW_TOKENS,
    ):
        if block_size - max_new_tokens < 1:
            raise ValueError("block_size must exceed max_new_tokens")
        self.trajectories = list(trajectories)
        self.block_size = block_size
        self.prompt_len = block_size - max_new_tokens
        self.index = [
            (i, start, end)
            for i, t in enumerate(self.trajectories)
            for start, end in zip(t.action_starts, t.action_ends, strict=True)
        ]
        if not self.index:
            raise ValueError("no action turns in the data")

    def __len__(self) -> int:
        return len(self.index)

    def window(self, k: int) -> dict[str, torch.Tensor]:
        i, action_start, end = self.index[k]
        t = self.trajectories[i]
        start = max(0, action_start - self.prompt_len, end + 1 - self.block_size)
        part = slice(start, end + 1)
        return {
            "input_ids": t.input_ids[part],
            "action_mask": t.action_mask[part],
            "rewards": t.rewards[part],
            "dones": t.dones[part],
            "returns_to_go": t.returns_to_go[part],
        }

    def batch(self, ks: Iterable[int], pad_id: int) -> Batch:
        return collate([self.window(k) for k in ks], pad_id)


def collate(windows: Sequence[dict[str, torch.Tensor]], pad_id: int) -> Batch:
    """Right-pad windows to the longest; padding is masked out of attention and of every loss."""
    width = max(len(w["input_ids"]) for w in windows)
    n = len(windows)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    attention = torch.zeros((n, width), dtype=torch.long)
    floats = {name: torch.zeros((n, width)) for name in ("action_mask", "rewards", "dones", "returns_to_go")}
    for row, w in enumerate(windows):
        length = len(w["input_ids"])
        input_ids[row, :length] = w["input_ids"]
        attention[row, :length] = 1
        for name, tensor in floats.items():
            tensor[row, :length] = w[name]
    return Batch(input_ids, attention, **floats)
