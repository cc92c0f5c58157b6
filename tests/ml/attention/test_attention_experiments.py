import json

import pytest

from ml.experiments import ParamError, get


def run(name, params, tmp_path):
    experiment = get(name)
    progress = []
    result = experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: progress.append(f))
    assert progress[-1] == 1.0 and progress == sorted(progress)
    names = {a.name for a in result.artifacts}
    assert {"metrics.json", "runs.json"} <= names and any(n.endswith(".png") for n in names)
    assert all(a.path.is_file() for a in result.artifacts)
    return result


def test_copying_smoke(tmp_path):
    metrics = run("attention.copying", {"preset": "smoke", "seeds": "0,1"}, tmp_path).metrics
    control = metrics["copy_control"]
    assert control["seeds"] == 2 and control["success_rate"]["mean"] == 1.0
    assert all(0 < s <= 150 for s in control["steps_to_target"])
    assert all(
        f["attention_offset"] == 0 for f in control["final_attention_offset"]
    )  # copies by looking at t
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert [len(runs[k]) for k in ("copy_control", "copy_permutation")] == [2, 2]
    # stopped at the target: the last point of a successful run is its first over 95%
    assert all(r["curve"][-1]["step"] == r["steps_to_target"] for r in runs["copy_control"])


def test_ktiw_lead_smoke(tmp_path):
    params = {"preset": "smoke", "seeds": "0", "tasks": "copy_control,translation,copy_control"}
    metrics = run("attention.ktiw_lead", params, tmp_path).metrics
    assert set(metrics) >= {"copy_control", "translation"} and "copy_permutation" not in metrics
    control = metrics["copy_control"]
    (seed,) = control["per_seed"]
    assert seed["lead"] == seed["attention_half_rise"] - seed["ktiw_half_rise"]
    assert control["final_agreement"]["top_match"] > control["final_agreement"]["top_match_shuffled"]


def test_uniform_ktiw_smoke(tmp_path):
    metrics = run("attention.uniform_ktiw", {"preset": "smoke", "seeds": "0,1"}, tmp_path).metrics
    gap = metrics["ktiw_gap_control_minus_permutation"]
    control, permutation = metrics["copy_control"]["final_ktiw"], metrics["copy_permutation"]["final_ktiw"]
    assert gap["mean"] == pytest.approx(control["mean"] - permutation["mean"], abs=1e-3)
    assert gap["ci_low"] <= gap["mean"] <= gap["ci_high"]


def test_multihead_fix_smoke(tmp_path):
    metrics = run(
        "attention.multihead_fix", {"preset": "smoke", "seeds": "0-3", "mixes": 2}, tmp_path
    ).metrics
    seeds = sorted(metrics["succeeded_head_seeds"] + metrics["failed_head_seeds"])
    assert seeds == [0, 1, 2, 3] and metrics["single_head"]["seeds"] == 4
    for group, combos in metrics["mixes"].items():
        assert len(combos) <= 2 and all(len(c) == 2 for c in combos)
        assert (metrics[group] or {"seeds": 0})["seeds"] == len(combos)
    assert all(set(c) <= set(metrics["failed_head_seeds"]) for c in metrics["mixes"]["all_failing"])


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("attention.copying", {"seeds": "0,x"}, "seeds"),
        ("attention.copying", {"seeds": "3-1"}, "seeds"),
        ("attention.copying", {"length": 80}, "length"),
        ("attention.ktiw_lead", {"tasks": "copy_control,sorting"}, "tasks"),
        ("attention.multihead_fix", {"seeds": "0", "heads": 2}, "seeds"),
        ("attention.uniform_ktiw", {"encoder": "gru"}, "encoder"),
        ("attention.copying", {"steps": 0}, "steps"),
    ],
)
def test_bad_parameters_name_their_field(name, params, field, tmp_path):
    experiment = get(name)
    with pytest.raises(ParamError) as error:
        experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: None)
    assert error.value.field == field


def test_a_translation_only_lead_run_accepts_length_over_vocab(tmp_path):
    params = {"preset": "smoke", "seeds": "0", "tasks": "translation", "steps": 10, "length": 14}
    assert run("attention.ktiw_lead", params, tmp_path).metrics["translation"]["per_seed"]
