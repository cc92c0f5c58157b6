import json

import pytest

from ml.experiments import ParamError, get


def test_sweep_smoke_end_to_end(tmp_path):
    experiment = get("search.sweep")
    progress = []
    params = experiment.validate({"preset": "smoke"})
    result = experiment.load_entry()(params, tmp_path, lambda f, m: progress.append(f))
    assert progress[-1] == 1.0 and progress == sorted(progress)
    [accuracy] = result.metrics["test_accuracy"]
    methods = {
        "majority",
        "best_of_n_prm",
        "weighted_best_of_n_prm",
        "best_of_n_orm",
        "weighted_best_of_n_orm",
    }
    assert set(accuracy) == methods | {"beam_k0", "beam_k1"}
    assert all(
        set(curve) == {1, 2, 4} and all(0 <= a <= 1 for a in curve.values()) for curve in accuracy.values()
    )
    # with one sample every pool method takes the same random sample, so they agree exactly
    assert len({accuracy[m][1] for m in methods}) == 1
    saved = json.loads((tmp_path / "metrics.json").read_text())
    [run] = saved["runs"]
    for kind in ("oracle", "predicted"):
        for budget in ("1", "2", "4"):
            optimal = run[f"compute_optimal_{kind}"][budget]
            assert 0 <= optimal["accuracy"] <= 1 and set(optimal["choice"].values()) <= set(accuracy)
            multiplier = optimal["efficiency_multiplier"]
            assert multiplier is None or multiplier > 0
    assert set(run["times"]) == {"policy", "verifiers", "pools", "beam", "revisions", "flops_matched"}
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
    assert revisions["training_pairs"] >= 40  # at least one per revision problem
    shapes = {f"{s}_{how}" for s in ("sequential", "balanced", "parallel") for how in ("majority", "orm")}
    assert set(revisions["test_accuracy"]) == shapes
    assert all(set(c) == {"1", "2", "4"} for c in revisions["test_accuracy"].values())
    # at budget 1 every shape is the same single attempt, and both selections take it
    assert len({c["1"] for c in revisions["test_accuracy"].values()}) == 1
    assert {a.name for a in result.artifacts} == {
        "metrics.json",
        "accuracy_vs_budget.png",
        "accuracy_vs_budget.svg",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"budgets": "1,x"}, "budgets"), ({"budgets": "0,4"}, "budgets"), ({"seeds": "a"}, "seeds")],
)
def test_sweep_bad_parameters(params, field, tmp_path):
    experiment = get("search.sweep")
    with pytest.raises(ParamError) as error:
        experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: None)
    assert error.value.field == field
