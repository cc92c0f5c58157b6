import json
import math

import pytest

from ml.experiments import get
from ml.rl.envs.base import make_env
from ml.rl.envs.datasets import generate
from ml.rl.evaluate import evaluate_checkpoint, summarise
from ml.rl.policies import LMPolicy
from ml.rl.trainer import RLConfig, train

KEYS = {
    "task",
    "episodes",
    "mean_return",
    "score",
    "score_ci_low",
    "score_ci_high",
    "mean_length",
    "success_rate",
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("rl_eval")
    generate("maze_fo", 200, 0, root / "maze_fo.jsonl")
    cfg = RLConfig(
        dataset=str(root / "maze_fo.jsonl"),
        steps=40,
        lr=3e-3,
        device="cpu",
        n_layer=1,
        n_embd=32,
        n_head=2,
        block_size=128,
        batch_size=8,
    )
    train(cfg, root / "ckpt")
    return root / "ckpt"


def test_summarise_scores_and_success():
    records = [
        {"seed": 0, "return": -13.804, "length": 14, "truncated": False},
        {"seed": 1, "return": -100.0, "length": 100, "truncated": True},
    ]
    s = summarise("maze_fo", records)
    assert math.isclose(s["score"], 50.0, abs_tol=1e-3)  # (100 + 0) / 2
    assert s["success_rate"] == 0.5 and s["mean_length"] == 57
    assert s["score_ci_low"] <= s["score"] <= s["score_ci_high"]


def test_evaluate_checkpoint_returns_finite_numbers(checkpoint):
    summary, records = evaluate_checkpoint(checkpoint, "maze_fo", 8, seed=0, device="cpu", max_new_tokens=12)
    assert KEYS <= set(summary) and summary["episodes"] == 8 and len(records) == 8
    for key in ("mean_return", "score", "score_ci_low", "score_ci_high", "mean_length", "success_rate"):
        assert math.isfinite(summary[key])
    assert all(1 <= r["length"] <= 100 for r in records)
    again, _ = evaluate_checkpoint(checkpoint, "maze_fo", 8, seed=0, device="cpu", max_new_tokens=12)
    assert again == summary  # greedy play on fixed seeds is deterministic


def test_rl_evaluate_experiment(checkpoint, tmp_path):
    experiment = get("rl.evaluate")
    params = experiment.validate({"checkpoint": str(checkpoint), "episodes": 2, "temperature": 1.0})
    result = experiment.load_entry()(params, tmp_path, lambda f, m: None)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert KEYS <= set(metrics) and metrics["episodes"] == 2
    assert result.metrics == metrics


def test_checkpoint_plays_through_lmpolicy(checkpoint):
    env = make_env("maze_fo")
    policy = LMPolicy(checkpoint, device="cpu", max_new_tokens=12)
    action = policy(env, env.reset(3))
    assert isinstance(action, str) and "\n" not in action
    env.step(action)  # any text is a legal step (unparseable costs -4)
