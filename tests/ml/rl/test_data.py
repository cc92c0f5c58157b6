import math

import pytest
import torch

from ml.lm.tokenizers import char_tokenizer
from ml.rl.data import WindowDataset, collate, returns_to_go, tokenize_trajectory, trajectory_texts
from ml.rl.envs.base import Turn
from ml.rl.envs.trajectories import Trajectory, TurnRecord
from ml.rl.policies import history_text


def hand_built() -> Trajectory:
    turns = [
        TurnRecord("start\n", False),
        TurnRecord("ab\n", True, -1.0),
        TurnRecord("obs\n", False),
        TurnRecord("c\n", True, 2.0),
        TurnRecord("end\n", False),
    ]
    return Trajectory("maze_fo", 0, turns, done=True)


@pytest.fixture
def tokenizer():
    return char_tokenizer(trajectory_texts([hand_built()]))


def test_text_is_what_lmpolicy_reads(tokenizer):
    traj = hand_built()
    tt = tokenize_trajectory(traj, tokenizer)
    history = [Turn(t.text, t.is_action) for t in traj.turns]
    assert tokenizer.decode(tt.input_ids, skip_special_tokens=True) == history_text(history)
    assert tt.input_ids.tolist() == tokenizer(history_text(history))["input_ids"]  # <bos> included


def test_masks_rewards_and_dones(tokenizer):
    tt = tokenize_trajectory(hand_built(), tokenizer)
    # <bos> + "start\n"(6) + "ab\n"(3) + "obs\n"(4) + "c\n"(2) + "end\n"(4) = 20 tokens
    assert len(tt.input_ids) == 20
    expected_mask = [0] * 7 + [1] * 3 + [0] * 4 + [1] * 2 + [0] * 4
    assert tt.action_mask.tolist() == expected_mask
    rewards = [0.0] * 20
    rewards[9], rewards[15] = -1.0, 2.0  # on each action's last token (its newline)
    assert tt.rewards.tolist() == rewards
    assert tt.action_ends == [9, 15]
    assert tt.dones.tolist() == [0.0] * 15 + [1.0] + [0.0] * 4
    assert tt.ret == 1.0 and tt.done


def test_unfinished_game_has_no_done(tokenizer):
    traj = hand_built()
    traj.done = False
    assert tokenize_trajectory(traj, tokenizer).dones.sum() == 0


def test_return_to_go_discounts_per_action_token():
    # tokens: env, a, a(r=1), env, a, a(r=10)
    rewards = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0, 10.0])
    mask = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    g = 0.5
    rtg = returns_to_go(rewards, mask, g).tolist()
    assert rtg[5] == 10.0
    assert rtg[4] == g * 10
    assert rtg[2] == 1 + g**2 * 10  # the environment token in between is not a step
    assert rtg[1] == g * (1 + g**2 * 10)
    assert rtg[0] == 0.0 and rtg[3] == 0.0


def test_windows_keep_the_most_recent_context(tokenizer):
    tt = tokenize_trajectory(hand_built(), tokenizer, gamma=0.99)
    # 5 tokens of context before each action (block 8 - 3 reserved for generation), then the action.
    data = WindowDataset([tt], block_size=8, max_new_tokens=3)
    assert len(data) == 2 and tt.action_starts == [7, 14]
    first, second = data.window(0), data.window(1)
    assert first["input_ids"].tolist() == tt.input_ids[2:10].tolist()  # ends at the first action's newline
    assert second["input_ids"].tolist() == tt.input_ids[9:16].tolist()
    assert second["action_mask"][-1] == 1 and second["rewards"][-1] == 2.0
    assert math.isclose(float(second["returns_to_go"][-1]), 2.0)


def test_collate_pads_and_masks(tokenizer):
    tt = tokenize_trajectory(hand_built(), tokenizer)
    data = WindowDataset([tt], block_size=64, max_new_tokens=16)
    batch = data.batch([0, 1], tokenizer.pad_token_id)
    assert batch.input_ids.shape == (2, 16)
    assert batch.attention_mask[0].tolist() == [1] * 10 + [0] * 6
    assert batch.input_ids[0, 10:].eq(tokenizer.pad_token_id).all()
    assert batch.action_mask[0, 10:].sum() == 0
    again = collate([data.window(1)], tokenizer.pad_token_id)
    assert again.input_ids[0].tolist() == tt.input_ids[:16].tolist()
