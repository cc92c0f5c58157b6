import json

import pytest

from ml.experiments import Cancelled, ParamError, get
from ml.lm.loading import load_model
from ml.rl.envs.datasets import generate
from ml.rl.trainer import RL_CONFIG_FILE, RLConfig, train

TINY = {"n_layer": 1, "n_embd": 32, "n_head": 2, "block_size": 128, "batch_size": 8}


@pytest.fixture(scope="module")
def maze_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("rl") / "maze_fo.jsonl"
    generate("maze_fo", 200, 0, path)
    return path


def test_config_from_dict_routes_unknown_keys_to_options():
    cfg = RLConfig.from_dict({"task": "maze_fo", "algorithm": "filtered_bc", "top_fraction": 0.3, "steps": 7})
    assert cfg.steps == 7 and cfg.options == {"top_fraction": 0.3}
    assert RLConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError):
        RLConfig(algorithm="nope")


def test_train_saves_a_checkpoint_lmpolicy_can_load(maze_data, tmp_path):
    cfg = RLConfig(task="maze_fo", dataset=str(maze_data), steps=30, lr=3e-3, device="cpu", **TINY)
    outcome = train(cfg, tmp_path / "ckpt")
    assert len(outcome.losses) == 30 and outcome.losses[-1] < outcome.losses[0]
    assert outcome.steps_per_s > 0
    saved = json.loads((tmp_path / "ckpt" / RL_CONFIG_FILE).read_text())
    assert RLConfig.from_dict(saved) == cfg
    model, tokenizer = load_model(tmp_path / "ckpt", device="cpu")
    assert model.config.n_positions == 128 and len(tokenizer) == len(outcome.tokenizer)


def test_filtered_bc_trains_on_fewer_trajectories(maze_data):
    cfg = RLConfig(
        algorithm="filtered_bc",
        dataset=str(maze_data),
        steps=2,
        device="cpu",
        options={"top_fraction": 0.25},
        **TINY,
    )
    assert train(cfg).n_trajectories == 50


def test_cancel_through_report_stops_training(maze_data, tmp_path):
    calls = []

    def report(fraction, message):
        calls.append(fraction)
        if fraction >= 0.1:
            raise Cancelled()

    cfg = RLConfig(dataset=str(maze_data), steps=100, device="cpu", **TINY)
    with pytest.raises(Cancelled):
        train(cfg, tmp_path / "ckpt", report)
    assert max(calls) < 0.2
    assert not (tmp_path / "ckpt").exists()


def test_rl_train_experiment_end_to_end(tmp_path):
    experiment = get("rl.train")
    params = experiment.validate(
        {
            "dataset_size": 20,
            "steps": 5,
            "eval_episodes": 2,
            "algorithm": "filtered_bc",
            "top_fraction": 0.5,
            **TINY,
        }
    )
    progress = []
    result = experiment.load_entry()(params, tmp_path, lambda f, m: progress.append(f))
    kinds = {a.kind for a in result.artifacts}
    assert {"checkpoint", "plot", "metrics", "dataset"} <= kinds
    for artifact in result.artifacts:
        assert artifact.path.exists()
    checkpoint = next(a.path for a in result.artifacts if a.kind == "checkpoint")
    assert (checkpoint / "config.json").is_file() and (checkpoint / RL_CONFIG_FILE).is_file()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["trajectories"] == 10 and metrics["params"] > 0
    assert metrics["episodes"] == 2 and {"score", "score_ci_low", "score_ci_high", "mean_return"} <= set(
        metrics
    )
    assert (tmp_path / "loss_curve.png").is_file() and (tmp_path / "loss_curve.svg").is_file()
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_rl_train_rejects_unknown_task(tmp_path):
    experiment = get("rl.train")
    with pytest.raises(ParamError):
        experiment.load_entry()(experiment.validate({"task": "nope"}), tmp_path, lambda f, m: None)


def test_rl_train_ilql_from_a_bc_checkpoint_decodes_with_its_beta(maze_data, tmp_path):
    bc = train(
        RLConfig(task="maze_fo", dataset=str(maze_data), steps=3, device="cpu", **TINY), tmp_path / "bc"
    )
    experiment = get("rl.train")
    params = experiment.validate(
        {
            "dataset": str(maze_data),
            "algorithm": "ilql",
            "init_from": str(bc.checkpoint),
            "beta": 3.0,
            "tau": 0.9,
            "steps": 3,
            "eval_episodes": 2,
            **TINY,
        }
    )
    experiment.load_entry()(params, tmp_path / "run", lambda f, m: None)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["beta"] == 3.0 and metrics["config"]["options"] == {
        "beta": 3.0,
        "tau": 0.9,
        "cql_weight": 0.1,
    }
    assert metrics["config"]["init_from"] == str(bc.checkpoint)
    assert (tmp_path / "run" / "checkpoint" / "value_heads.pt").is_file()
    with pytest.raises(ParamError, match="init_from"):
        experiment.load_entry()(
            {**params, "init_from": str(tmp_path / "missing")}, tmp_path / "x", lambda f, m: None
        )


def test_rl_table_grid_writes_table_plot_and_paper_column(tmp_path):
    experiment = get("rl.table")
    params = experiment.validate(
        {
            "algorithms": "bc,ilql,online_filtered_bc",
            "seeds": 2,
            "dataset_size": 20,
            "n_layer": 1,
            "n_embd": 32,
            "n_head": 2,
            "batch_size": 8,
            "bc_steps": 3,
            "finetune_steps": 2,
            "online_iterations": 1,
            "episodes_per_iter": 2,
            "eval_episodes": 2,
            "val_episodes": 2,
            "betas": "0,2",
        }
    )
    progress = []
    result = experiment.load_entry()(params, tmp_path, lambda f, m: progress.append(f))
    table = result.metrics["table"]
    assert [(r["task"], r["algorithm"], r["seeds"]) for r in table] == [
        ("maze_fo", "bc", 2),
        ("maze_fo", "ilql", 2),
        ("maze_fo", "online_filtered_bc", 2),
    ]
    assert table[1]["paper"] == 99.9 and table[2]["paper"] is None
    assert all(r["score_t1"] is not None for r in table)
    assert table[0]["betas"] == [0.0, 0.0] and all(b in (0.0, 2.0) for b in table[1]["betas"])
    for row in table:
        assert row["ci_low"] <= row["score"] <= row["ci_high"] or row["ci_low"] == row["ci_high"]
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert len(runs) == 6 and all(len(r["returns"]) == 2 for r in runs)
    assert all(set(r["validation_scores"]) == {"0.0", "2.0"} for r in runs if r["algorithm"] == "ilql")
    assert (tmp_path / "scores.png").is_file() and (tmp_path / "scores.svg").is_file()
    assert "| maze_fo | ilql |" in (tmp_path / "table.md").read_text()
    checkpoints = [a for a in result.artifacts if a.kind == "checkpoint"]
    assert len(checkpoints) == 3  # seed 0 of each method lands in the registry
    assert progress[-1] == 1.0


def test_rl_table_rejects_unknown_methods_and_tasks(tmp_path):
    experiment = get("rl.table")
    entry = experiment.load_entry()
    with pytest.raises(ParamError, match="algorithms"):
        entry(experiment.validate({"algorithms": "bc,dqn"}), tmp_path, lambda f, m: None)
    with pytest.raises(ParamError, match="tasks"):
        entry(experiment.validate({"tasks": "maze_fo,nope"}), tmp_path, lambda f, m: None)
    with pytest.raises(ParamError, match="betas"):
        entry(experiment.validate({"betas": "1,lots"}), tmp_path, lambda f, m: None)


def test_rl_table_resumes_an_interrupted_grid_without_retraining(tmp_path, monkeypatch):
    import ml.rl.table as table_module

    experiment = get("rl.table")
    small = {
        "seeds": 1,
        "dataset_size": 12,
        "n_layer": 1,
        "n_embd": 32,
        "n_head": 2,
        "batch_size": 4,
        "bc_steps": 2,
        "finetune_steps": 1,
        "eval_episodes": 2,
        "val_episodes": 1,
        "sampled_eval": False,
        "betas": "1",
    }
    entry = experiment.load_entry()
    entry(experiment.validate({**small, "algorithms": "bc,filtered_bc"}), tmp_path, lambda f, m: None)
    trained = []
    original = table_module.run_cell
    monkeypatch.setattr(
        table_module,
        "run_cell",
        lambda task, method, *a: (trained.append(method), original(task, method, *a))[1],
    )
    result = entry(
        experiment.validate({**small, "algorithms": "bc,filtered_bc,mc_returns"}), tmp_path, lambda f, m: None
    )
    assert trained == ["mc_returns"]  # BC and filtered BC rows and checkpoints were reused
    assert [r["algorithm"] for r in result.metrics["table"]] == ["bc", "filtered_bc", "mc_returns"]
    with pytest.raises(ParamError, match="bc_steps"):
        entry(experiment.validate({**small, "bc_steps": 3}), tmp_path, lambda f, m: None)


def test_rl_table_cli_takes_the_catalog_parameters_and_refuses_a_bad_one(tmp_path, capsys):
    from ml.rl.table import main

    with pytest.raises(SystemExit) as refused:
        main(["--bc-steps", "0", "--out", str(tmp_path)])
    assert refused.value.code == 2
    assert "bc_steps: must be >= 1" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())

    flags = ["--seeds", "1", "--dataset-size", "12", "--n-layer", "1", "--n-embd", "32", "--n-head", "2"]
    flags += ["--batch-size", "4", "--bc-steps", "2", "--eval-episodes", "2", "--sampled-eval", "no"]
    assert main([*flags, "--algorithms", "bc", "--out", str(tmp_path)]) == 0
    assert "| maze_fo | bc |" in capsys.readouterr().out
    params = json.loads((tmp_path / "table_params.json").read_text())
    assert params["bc_steps"] == 2 and params["sampled_eval"] is False
    assert params["finetune_steps"] == get("rl.table").defaults()["finetune_steps"]


def test_rl_table_plot_tolerates_a_mean_rounded_just_outside_its_ci(tmp_path):
    from ml.rl.table import plot_table

    row = {
        "task": "maze_fo",
        "algorithm": "ppo",
        "score": -7.52,
        "ci_low": -7.51,
        "ci_high": -7.51,
        "paper": 79.7,
    }
    paths = plot_table([row], tmp_path / "scores")
    assert all(p.is_file() for p in paths)


def test_rl_table_merge_pools_grids_run_side_by_side_and_refuses_other_parameters(tmp_path, capsys):
    from ml.rl.table import main

    flags = ["--seeds", "1", "--dataset-size", "12", "--n-layer", "1", "--n-embd", "32", "--n-head", "2"]
    flags += ["--batch-size", "4", "--bc-steps", "2", "--eval-episodes", "2", "--sampled-eval", "no"]
    for task in ("maze_fo", "wordle"):
        assert main([*flags, "--tasks", task, "--algorithms", "bc", "--out", str(tmp_path / task)]) == 0
    assert main([*flags, "--bc-steps", "3", "--algorithms", "bc", "--out", str(tmp_path / "other")]) == 0
    capsys.readouterr()

    merged = tmp_path / "maze_fo"
    runs = [str(tmp_path / t / "runs.json") for t in ("maze_fo", "wordle")]
    assert main(["--out", str(merged), "--merge", *runs]) == 0
    assert "| wordle | bc |" in capsys.readouterr().out
    metrics = json.loads((merged / "metrics.json").read_text())
    assert [(r["task"], r["seeds"]) for r in metrics["table"]] == [("maze_fo", 1), ("wordle", 1)]
    assert metrics["seeds_by_task"] == {"maze_fo": 1, "wordle": 1}
    assert {r["task"] for r in json.loads((merged / "runs.json").read_text())} == {"maze_fo", "wordle"}
    assert (merged / "scores.png").is_file()

    with pytest.raises(SystemExit) as refused:
        main(["--out", str(merged), "--merge", str(tmp_path / "other" / "runs.json")])
    assert refused.value.code == 2 and "table_params.json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(["--out", str(merged), "--merge", str(tmp_path / "nope.json")])
    assert missing.value.code == 2
