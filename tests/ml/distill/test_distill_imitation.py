import json

import pytest

from ml.distill.imitation import ft_steps, run
from ml.experiments import Cancelled, ParamError, get

TINY = {
    "seeds": "0,1",
    "amounts": "4,8",
    "entities_per_topic": 1,
    "task_entities": 2,
    "ref_layers": 1,
    "ref_embd": 16,
    "ref_steps": 3,
    "strong_embd": 16,
    "weak_embd": 8,
    "base_steps": 2,
    "ft_steps": 2,
}


def _params(**overrides):
    return get("distill.imitation").validate({**TINY, **overrides})


def test_the_catalog_entry_points_here():
    assert get("distill.imitation").load_entry() is run


def test_a_tiny_run_writes_metrics_plots_and_ratings(tmp_path):
    calls = []
    result = run(_params(), tmp_path, lambda f, m: calls.append((f, m)))

    names = {a.name: a.kind for a in result.artifacts}
    for stem in ("rater_preference", "heldout_accuracy", "task_accuracy"):
        assert names[f"{stem}.png"] == names[f"{stem}.svg"] == "plot"
        assert (tmp_path / f"{stem}.png").stat().st_size > 0
    assert names["metrics.json"] == "metrics" and names["ratings.jsonl"] == "dataset"

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) >= {"config", "reference", "aggregate", "per_seed", "seconds"}
    assert set(metrics["per_seed"]) == {"0", "1"}
    rows = metrics["aggregate"]
    # Per base: the base itself plus broad and task imitation at each amount.
    assert {(r["base"], r["kind"], r["amount"]) for r in rows} == {
        (b, k, a)
        for b in ("weak", "strong")
        for k, a in [("base", 0)] + [(k, a) for k in ("broad", "task") for a in (4, 8)]
    }
    for row in rows:
        for key in ("heldout_acc", "task_acc", "preference"):
            stat = row[key]
            assert stat["lo"] <= stat["mean"] <= stat["hi"] and len(stat["per_seed"]) == 2
        assert abs(row["win"] + row["tie"] + row["loss"] - 1) < 1e-3

    lines = [json.loads(x) for x in (tmp_path / "ratings.jsonl").read_text().splitlines()]
    assert {tuple(sorted(x)) for x in lines} == {("model", "output", "prompt", "prompt_id")}
    assert {x["model"] for x in lines} == {"reference", "imitation-weak-broad-8", "imitation-strong-broad-8"}

    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_cancelled_propagates(tmp_path):
    def report(fraction, message):
        if "imitating" in message:
            raise Cancelled

    with pytest.raises(Cancelled):
        run(_params(seeds="0"), tmp_path, report)
    assert not (tmp_path / "metrics.json").exists()


def test_bad_lists_are_param_errors(tmp_path):
    with pytest.raises(ParamError) as err:
        run(_params(amounts="a,b"), tmp_path, lambda f, m: None)
    assert err.value.field == "amounts"
    with pytest.raises(ParamError):
        run(_params(amounts="0"), tmp_path, lambda f, m: None)


def test_more_imitation_data_is_trained_on_longer_within_bounds():
    assert ft_steps(16, 150, 500) == 150
    assert ft_steps(600, 150, 500) == 300
    assert ft_steps(4096, 150, 500) == 500
