"""bench/rl_finetune_steps.py: fine-tunes a value method from an rl.table seed directory's BC, per step count."""

import json

import pytest

from ml.rl.envs.datasets import generate
from ml.rl.trainer import RLConfig, train
from tests.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("rl_finetune_steps")


def test_each_step_count_is_trained_from_the_seed_dirs_bc_and_scored(bench, tmp_path, capsys):
    generate("maze_fo", 10, 0, tmp_path / "dataset.jsonl")
    tiny = {"n_layer": 1, "n_embd": 32, "n_head": 2, "block_size": 96, "tokenizer": "char", "device": "cpu"}
    train(
        RLConfig(task="maze_fo", dataset=str(tmp_path / "dataset.jsonl"), steps=20, **tiny), tmp_path / "bc"
    )
    argv = ["--seed-dir", str(tmp_path), "--algorithm", "mc_returns", "--steps", "2,4"]
    assert bench.main([*argv, "--episodes", "2", "--val-episodes", "1", "--option", "cql_weight=0.5"]) == 0
    out = capsys.readouterr().out
    assert "maze_fo seed 0, mc_returns {'cql_weight': 0.5}" in out
    assert "  2 steps:" in out and "  4 steps:" in out and out.count("validation by beta 1:") == 2
    last = json.loads(out.strip().splitlines()[-1])
    assert [r["steps"] for r in last["rows"]] == [2, 4] and last["options"] == {"cql_weight": 0.5}


@pytest.mark.parametrize(
    "argv", [["--steps", "a,b"], ["--steps", "0"], ["--betas", "1,x"], ["--option", "tau=high"]]
)
def test_bad_arguments_are_usage_errors(bench, tmp_path, argv):
    generate("maze_fo", 2, 0, tmp_path / "dataset.jsonl")
    (tmp_path / "bc").mkdir()
    (tmp_path / "bc" / "rl_config.json").write_text('{"task": "maze_fo", "seed": 0}')
    with pytest.raises(SystemExit) as stop:
        bench.main(["--seed-dir", str(tmp_path), *argv])
    assert stop.value.code == 2


def test_a_directory_without_a_bc_checkpoint_is_a_usage_error(bench, tmp_path):
    with pytest.raises(SystemExit) as stop:
        bench.main(["--seed-dir", str(tmp_path)])
    assert stop.value.code == 2


def test_run_cell_passes_extra_options_over_the_grids(monkeypatch, tmp_path):
    import ml.rl.trainer
    from ml.experiments import get
    from ml.rl.table import run_cell

    seen = []

    def fake_train(cfg, out, report):
        seen.append(cfg.options)
        raise StopIteration

    monkeypatch.setattr(ml.rl.trainer, "train", fake_train)
    params = get("rl.table").defaults()
    with pytest.raises(StopIteration):
        run_cell("maze_fo", "ilql", 0, tmp_path, tmp_path / "d.jsonl", params, tmp_path, None, {"tau": 0.9})
    assert seen == [{"tau": 0.9, "cql_weight": params["cql_weight"]}]
