"""bench/rl_ppo.py: its variants parse, and a run prints one line per PPO iteration and a greedy score."""

import json

import pytest

from ml.rl.envs.datasets import generate
from ml.rl.trainer import RLConfig, train
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("rl_ppo")


def test_variants_parse_and_a_malformed_one_is_refused(bench):
    assert bench.parse_variant("reward_scale=1, target_kl=0") == {"reward_scale": 1.0, "target_kl": 0.0}
    assert bench.parse_variant("") == {}
    with pytest.raises(ValueError, match="name=value"):
        bench.parse_variant("target_kl")


def test_a_run_reports_each_iteration_of_each_variant(bench, tmp_path, capsys):
    data = tmp_path / "maze.jsonl"
    generate("maze_fo", 10, 0, data)
    tiny = {"n_layer": 1, "n_embd": 32, "n_head": 2, "block_size": 96, "tokenizer": "char", "device": "cpu"}
    train(RLConfig(task="maze_fo", dataset=str(data), steps=20, lr=3e-3, **tiny), tmp_path / "bc")
    argv = ["--checkpoint", str(tmp_path / "bc"), "--iterations", "2", "--episodes-per-iter", "2"]
    assert (
        bench.main([*argv, "--episodes", "2", "--variant", "reward_scale=1,target_kl=0", "--variant", ""])
        == 0
    )
    out = capsys.readouterr().out
    assert "PPO [reward_scale=1,target_kl=0]" in out and "PPO [defaults]" in out
    assert out.count("iteration 2:") == 2 and out.count("greedy after training: score") == 2
    assert "reward scale 1," in out
    last = json.loads(out.strip().splitlines()[-1])
    assert [v["options"] for v in last["variants"]] == [{"reward_scale": 1.0, "target_kl": 0.0}, {}]
    assert all(len(v["log"]) == 2 for v in last["variants"])


def test_a_path_that_is_not_a_checkpoint_is_a_usage_error(bench, tmp_path):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--checkpoint", str(tmp_path)])
    assert stop.value.code == 2
