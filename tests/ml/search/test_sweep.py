import json
import os

import pytest
import torch

from ml.experiments import ParamError, get
from ml.search.pipeline import STRATEGIES


def test_sweep_smoke_end_to_end(tmp_path):
    experiment = get("search.sweep")
    progress = []
    params = experiment.validate({"preset": "smoke"})
    result = experiment.load_entry()(params, tmp_path, lambda f, m: progress.append(f))
    assert progress[-1] == 1.0 and progress == sorted(progress)
    [accuracy] = result.metrics["test_accuracy"]
    methods = {"majority"} | {
        f"{how}_{scoring}"
        for how in ("best_of_n", "weighted_best_of_n")
        for scoring in ("prm", "prm_min", "prm_prod", "orm", "prm_oracle", "prm_oracle_min")
    }
    assert set(accuracy) == methods | {"beam_k0", "beam_k1"}
    assert all(
        set(curve) == {"1", "2", "4"} and all(0 <= a <= 1 for a in curve.values())
        for curve in accuracy.values()
    )
    # with one sample every pool method takes the same random sample, so they agree exactly
    assert len({accuracy[m]["1"] for m in methods}) == 1
    saved = json.loads((tmp_path / "metrics.json").read_text())
    [run] = saved["runs"]
    for kind in ("oracle", "predicted"):
        for budget in ("1", "2", "4"):
            optimal = run[f"compute_optimal_{kind}"][budget]
            assert 0 <= optimal["accuracy"] <= 1 and set(optimal["choice"].values()) <= set(STRATEGIES)
            assert 0 <= optimal["cross_validated_accuracy"] <= 1
            multiplier = optimal["efficiency_multiplier"]
            assert multiplier is None or multiplier > 0
        # the samples that predict difficulty cost generations, so counting them can only lower it
        included = run["compute_optimal_predicted"][budget]["efficiency_multiplier_cost_included"]
        excluded = run["compute_optimal_predicted"][budget]["efficiency_multiplier"]
        assert included is None or included < excluded
    assert set(run["times"]) == {"pools", "beam", "revisions", "flops_matched"}
    assert 0 <= run["beam_jobs_in_helper"] <= 12  # 2 splits x 2 lookaheads x 3 budgets, shared
    assert set(run["training"]["seconds"]) == {"policy", "verifiers", "revision", "large_policy"}
    assert len(run["bins"]["oracle"]) == len(run["per_problem"]["beam_k0"]["4"]) == 12
    matched = run["flops_matched"]
    assert 12 < matched["size_ratio"] < 16  # hidden 128 against 32
    assert set(matched["by_ratio"]) == {"0.16", "0.79", "22.0"}
    generations = [matched["by_ratio"][r]["matched_generations"] for r in ("0.16", "0.79", "22.0")]
    assert (
        generations[0] > generations[1] > generations[2] > 1
    )  # more inference per pretraining, fewer samples
    for verdict in matched["by_ratio"].values():
        assert verdict["budget_used"] in (None, 1, 2, 4)
        assert all(
            b["winner"] in (None, "test-time compute", "pretraining") for b in verdict["bins"].values()
        )
    revisions = run["revisions"]
    assert run["training"]["revision_training_pairs"] >= 40  # at least one per revision problem
    shapes = {f"{s}_{how}" for s in ("sequential", "balanced", "parallel") for how in ("majority", "orm")}
    assert set(revisions["test_accuracy"]) == shapes
    assert all(set(c) == {"1", "2", "4"} for c in revisions["test_accuracy"].values())
    # at budget 1 every shape is the same single attempt, and both selections take it
    assert len({c["1"] for c in revisions["test_accuracy"].values()}) == 1
    plots = ("accuracy_vs_budget", "beam_vs_best_of_n_by_bin", "aggregation", "revisions", "compute_optimal")
    plots += ("flops_matched",)
    assert {a.name for a in result.artifacts} == {"metrics.json", "summary.json"} | {
        f"{p}.{ext}" for p in plots for ext in ("png", "svg")
    }
    summary = json.loads((tmp_path / "summary.json").read_text())
    # the pooled accuracy of one seed is that seed's accuracy, inside its bootstrap interval
    for method, curve in accuracy.items():
        for n, value in curve.items():
            pooled = summary["accuracy"][method][n]
            assert pooled["mean"] == pytest.approx(value, abs=1e-4)
            assert pooled["low"] <= pooled["mean"] <= pooled["high"]
    assert set(summary["by_oracle_bin"]) == {"4"}
    assert set(summary["efficiency_multiplier"]) == {"oracle", "predicted", "predicted_cost_included"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"budgets": "1,x"}, "budgets"),
        ({"budgets": "0,4"}, "budgets"),
        ({"seeds": "a"}, "seeds"),
        ({"max_value": 30}, "max_value"),
        ({"n_embd": 30}, "n_embd"),
        ({"large_n_embd": 30}, "large_n_embd"),
    ],
)
def test_sweep_bad_parameters(params, field, tmp_path):
    experiment = get("search.sweep")
    with pytest.raises(ParamError) as error:
        experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: None)
    assert error.value.field == field


def test_sweep_reuses_the_models_search_train_saved(tmp_path):
    train = get("search.train")
    trained = tmp_path / "trained"
    result = train.load_entry()(train.validate({"preset": "smoke"}), trained, lambda f, m: None)
    assert result.metrics["seeds"][0]["revision_training_pairs"] >= 40
    for name in ("policy", "prm", "orm", "prm_oracle", "revision", "large"):
        assert (trained / "seed_0" / name / "config.json").is_file()
    sweep = get("search.sweep")
    params = sweep.validate({"preset": "smoke", "trained": str(trained)})
    progress = []
    out = sweep.load_entry()(params, tmp_path / "sweep", lambda f, m: progress.append(m))
    assert not any("step" in m for m in progress)  # nothing was trained again
    [run] = json.loads((tmp_path / "sweep" / "metrics.json").read_text())["runs"]
    assert run["training"] == result.metrics["seeds"][0]
    assert set(out.metrics["test_accuracy"][0]["beam_k0"]) == {"1", "2", "4"}


def test_sweep_rejects_missing_or_mismatched_models(tmp_path):
    sweep = get("search.sweep")
    entry = sweep.load_entry()
    with pytest.raises(ParamError) as error:
        entry(
            sweep.validate({"preset": "smoke", "trained": str(tmp_path)}), tmp_path / "a", lambda f, m: None
        )
    assert error.value.field == "trained" and "seed 0" in error.value.message
    folder = tmp_path / "seed_0"
    folder.mkdir()
    (folder / "train.json").write_text(json.dumps({"domain": {"max_operands": 8, "max_operand": 20}}))
    with pytest.raises(ParamError) as error:
        entry(
            sweep.validate({"preset": "smoke", "trained": str(tmp_path)}), tmp_path / "b", lambda f, m: None
        )
    assert error.value.field == "trained" and "max_operands" in error.value.message


def smoke_params(**overrides):
    from ml.experiments import with_preset
    from ml.search.pipeline import SMOKE

    return {**with_preset(get("search.train").validate({"preset": "smoke"}), SMOKE), **overrides}


def test_the_larger_policy_trains_in_a_child_process():
    from ml.search.pipeline import SMOKE, LargePolicyProcess

    torch.set_num_threads(2)
    with LargePolicyProcess(smoke_params(policy_steps=5), seed=0) as child:
        assert child.process.pid != os.getpid()
        assert torch.get_num_threads() == 1  # the child has the other core
        model, seconds = child.result()
        assert torch.get_num_threads() == 2
        folder = child.folder
    assert model.config.n_embd == SMOKE["large_n_embd"] and seconds > 0
    assert not folder.exists()  # the child's files are cleaned up
    assert not LargePolicyProcess(smoke_params(large_n_embd=0), seed=0)


def test_a_failing_child_reports_its_error_and_an_abandoned_one_is_killed():
    from ml.search.pipeline import LargePolicyProcess

    # GPT-2 needs the hidden size to divide by its 4 heads
    with pytest.raises(RuntimeError, match="(?s)larger policy failed.*divisible"):
        with LargePolicyProcess(smoke_params(large_n_embd=30), seed=0) as child:
            child.result()
    with pytest.raises(KeyboardInterrupt):
        with LargePolicyProcess(smoke_params(policy_steps=10_000), seed=0) as child:
            raise KeyboardInterrupt  # a cancelled run leaves the block at once
    assert child.process.returncode is not None and not child.folder.exists()
    assert torch.get_num_threads() == child.threads
