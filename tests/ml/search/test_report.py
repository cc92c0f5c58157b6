import json

import pytest

from ml.search import report

BUDGETS = ("1", "4", "16")
METHODS = (
    "majority",
    "best_of_n_prm",
    "weighted_best_of_n_prm",
    "weighted_best_of_n_prm_min",
    "weighted_best_of_n_prm_prod",
    "weighted_best_of_n_orm",
    "beam_k0",
    "beam_k1",
)
SHAPES = [f"{s}_{how}" for s in ("sequential", "balanced", "parallel") for how in ("majority", "orm")]


def fake_run(seed: int, baseline: dict[str, list[float]], optimal: dict[str, float]) -> dict:
    """A run as metrics.json stores it: 4 test problems, bins 0, 0, 1, 1."""
    per_problem = {m: {n: [0.0, 0.0, 1.0, 1.0] for n in BUDGETS} for m in METHODS}
    per_problem["weighted_best_of_n_prm"] = baseline
    revisions = {s: {n: [0.0, 1.0, 0.0, 1.0] for n in BUDGETS} for s in SHAPES}
    revisions["sequential_orm"] = {n: [1.0, 1.0, 0.0, 0.0] for n in BUDGETS}  # best on the hard bin
    return {
        "seed": seed,
        "difficulty_samples": 2,
        "training": {"seconds": {"policy": 1.0}},
        "times": {"pools": 1.0},
        "test_pass_at_1": 0.5,
        "test_accuracy": {m: {n: sum(v[n]) / 4 for n in BUDGETS} for m, v in per_problem.items()},
        "per_problem": per_problem,
        "bins": {"oracle": [0, 0, 1, 1], "predicted": [0, 1, 0, 1]},
        "compute_optimal_oracle": {n: {"accuracy": optimal[n]} for n in BUDGETS},
        "compute_optimal_predicted": {n: {"accuracy": optimal[n]} for n in BUDGETS},
        "revisions": {"per_problem": revisions, "correct_to_wrong_share": 0.1},
        "flops_matched": None,
    }


def test_multiplier_summary_keeps_a_plateau_bound_apart_from_measured_multipliers():
    # the baseline never reaches the 64-sample accuracy within 256 samples: a bound of 4, not a measurement
    summary = report._multiplier_summary({1: 1.2, 4: 0.9, 64: None}, [1, 4, 64, 256])
    assert summary["max"] == 4.0 and summary["max_measured"] == 1.2
    assert summary["mean_4_to_64"] == pytest.approx((0.9 + 4.0) / 2)
    assert summary["baseline_never_matched_at"] == [64]
    assert report._multiplier_summary({1: None}, [1])["max_measured"] is None


def test_summary_pools_seeds_and_measures_the_multiplier():
    # baseline accuracy 0.25 at N=1, 0.5 at N=4, 0.75 at N=16 when pooled over both seeds
    first = fake_run(
        0, {"1": [1, 0, 0, 0], "4": [1, 1, 0, 0], "16": [1, 1, 1, 0]}, {"1": 0.5, "4": 0.75, "16": 1.0}
    )
    second = fake_run(
        1, {"1": [0, 0, 0, 1], "4": [0, 0, 1, 1], "16": [0, 1, 1, 1]}, {"1": 0.5, "4": 0.75, "16": 1.0}
    )
    summary = report.summarise(json.loads(json.dumps([first, second])))
    assert summary["test_problems"] == 8
    assert [summary["accuracy"]["weighted_best_of_n_prm"][n]["mean"] for n in (1, 4, 16)] == [0.25, 0.5, 0.75]
    oracle = summary["efficiency_multiplier"]["oracle"]
    # 0.5 at N=1 is what the baseline reaches at N=4: a multiplier of 4; at N=4, 0.75 needs N=16
    assert oracle["by_budget"][1] == pytest.approx(4.0)
    assert oracle["by_budget"][4] == pytest.approx(4.0)
    assert oracle["by_budget"][16] is None and oracle["baseline_never_matched_at"] == [16]
    assert oracle["max"] == 4.0 and oracle["mean_4_to_64"] == pytest.approx((4.0 + 1.0) / 2)
    # counting 2 difficulty samples: 0.5 costs 1 + 2 generations against the baseline's 4
    included = summary["efficiency_multiplier"]["predicted_cost_included"]["by_budget"]
    assert included[1] == pytest.approx(4 / 3)
    assert summary["best_revision_shape_by_bin"]["4"] == {0: "sequential", 1: "balanced"}
    assert summary["by_oracle_bin"]["16"]["beam_k0"] == {0: 0.0, 1: 1.0}
    assert set(summary["by_oracle_bin"]) == {"16"}  # the largest budget at or below 16 is the largest


def test_report_cli_merges_metrics_files_and_writes_plots(tmp_path):
    runs = [fake_run(s, {n: [1, 0, 1, 0] for n in BUDGETS}, {n: 0.5 for n in BUDGETS}) for s in (0, 1)]
    paths = []
    for run in runs:
        paths.append(tmp_path / f"metrics_{run['seed']}.json")
        paths[-1].write_text(json.dumps({"runs": [run]}))
    report.main([str(p) for p in paths] + ["--out", str(tmp_path / "out")])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["seeds"] == [0, 1] and summary["test_problems"] == 8
    for stem in (
        "accuracy_vs_budget",
        "beam_vs_best_of_n_by_bin",
        "aggregation",
        "revisions",
        "compute_optimal",
    ):
        assert (tmp_path / "out" / f"{stem}.png").stat().st_size > 1000
        assert (tmp_path / "out" / f"{stem}.svg").is_file()
    assert not (tmp_path / "out" / "flops_matched.png").exists()  # no larger policy in these runs
