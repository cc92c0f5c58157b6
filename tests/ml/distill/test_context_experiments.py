import json

import pytest

from ml.experiments import ParamError, get


def run(name, params, tmp_path):
    experiment = get(name)
    progress = []
    result = experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: progress.append(f))
    assert progress[-1] == 1.0 and progress == sorted(progress)
    return result


def test_addition_smoke_preset_end_to_end(tmp_path):
    result = run("distill.addition", {"preset": "smoke", "seeds": "0,1"}, tmp_path)
    by_digits = result.metrics["by_digits"]
    assert set(by_digits) == {"teacher", "direct", "student"}
    for system in by_digits.values():
        assert sorted(system, key=int) == [str(d) for d in range(1, 9)]
        assert all(0 <= r["ci_low"] <= r["mean"] <= r["ci_high"] <= 1 for r in system.values())
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["seed"] for r in saved["runs"]] == [0, 1] and saved["params"]["steps"] == 150
    assert all(set(r["seconds"]) == {"teacher", "direct", "distill"} for r in saved["runs"])
    assert {a.name for a in result.artifacts} == {
        "metrics.json",
        "accuracy_by_digits.png",
        "accuracy_by_digits.svg",
    }


def test_instructions_smoke_preset_end_to_end(tmp_path):
    result = run("distill.instructions", {"preset": "smoke", "seeds": "3", "first": "shift"}, tmp_path)
    assert list(result.metrics["stages"]) == ["base", "after_shift", "after_sort"]
    first = result.metrics["first"]
    assert first["task"] == "shift" and set(first["retention_instructed_others"]) == {
        "reverse",
        "sort",
        "skip",
    }
    assert result.metrics["second"]["task"] == "sort"
    assert (tmp_path / "instruction_internalisation.png").is_file()


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("distill.addition", {"seeds": "0,x"}, "seeds"),
        ("distill.addition", {"seeds": ""}, "seeds"),
        ("distill.addition", {"n_embd": 30, "n_head": 4}, "n_head"),
        ("distill.instructions", {"first": "sort", "second": "sort"}, "second"),
        ("distill.instructions", {"n_embd": 30, "n_head": 4}, "n_head"),
    ],
)
def test_bad_parameters_are_refused_before_any_training(name, params, field, tmp_path):
    experiment = get(name)
    with pytest.raises(ParamError) as err:
        experiment.load_entry()(experiment.validate(params), tmp_path, lambda f, m: None)
    assert err.value.field == field


def test_unknown_task_and_preset_fail_validation():
    with pytest.raises(ParamError, match="first"):
        get("distill.instructions").validate({"first": "rotate"})
    with pytest.raises(ParamError, match="preset"):
        get("distill.addition").validate({"preset": "huge"})
