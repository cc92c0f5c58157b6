import pytest

from ml.rl.envs import EnvError, Turn, make_env
from ml.rl.envs.scripted_oracle import NeedsReply, ScriptedOracle
from ml.rl.envs.trajectories import rollout
from ml.rl.policies import LMPolicy, history_text, make_policy, scripted_policy


def test_scripted_solver_finishes_wordle():
    env = make_env("wordle")
    trajectory = rollout(env, scripted_policy("wordle", 0), seed=5)
    assert trajectory.done and trajectory.ret > -6


def test_behaviour_policy_when_asked():
    env = make_env("maze_fo")
    env.reset(1)
    action = make_policy({"kind": "scripted", "prefer": "behaviour"}, task="maze_fo", seed=1)(
        env, env.history
    )
    assert action in env.legal_actions()


def test_bad_specs_raise_env_errors():
    with pytest.raises(EnvError):
        make_policy({"kind": "scripted"}, task="no_such_task")
    with pytest.raises(EnvError):
        make_policy({"kind": "magic"})
    with pytest.raises(EnvError):
        make_policy({"kind": "checkpoint"})


def test_replay_rebuilds_the_same_game():
    env = make_env("wordle")
    env.reset(7)
    for guess in ("s o a r e", "nonsense", "c l i m b"):
        env.step(guess)
    again = make_env("wordle")
    assert again.replay(7, ["s o a r e", "nonsense", "c l i m b"]) == env.history
    assert again.total_reward == env.total_reward


def test_scripted_oracle_replays_then_waits():
    env = make_env("twenty_questions", oracle=ScriptedOracle(["Yes."]))
    env.reset(0)
    assert env.step("Is it an animal?").observation == "Yes.\n"
    with pytest.raises(NeedsReply):
        env.step("Does it fly?")


def test_history_text_terminates_every_turn():
    assert history_text([Turn("a\n", False), Turn("b", True)]) == "a\nb\n"


def test_lm_policy_returns_one_line(tmp_path):
    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer
    from ml.lm.train import save_checkpoint

    tokenizer = char_tokenizer(["abcdefghijklmnopqrstuvwxyz ?.\n"])
    model = tiny_gpt2(len(tokenizer), block_size=256, n_embd=32, n_head=2, n_layer=1)
    save_checkpoint(model, tokenizer, tmp_path / "agent")
    policy = LMPolicy(tmp_path / "agent", max_new_tokens=8, device="cpu")
    action = policy(None, [Turn("hello\n", False)])
    assert "\n" not in action
