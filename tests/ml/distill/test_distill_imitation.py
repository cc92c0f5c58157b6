import json

import pytest

from ml.distill.imitation import imitation_texts, run
from ml.distill.world import make_world, split_by_entity, statement
from ml.experiments import Cancelled, ParamError, get

TINY = {
    "seeds": "0,1",
    "amounts": "4,8",
    "entities_per_topic": 2,
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
    assert 0.5 < metrics["reference"]["parity"] <= 1.0  # the rater mostly ties the reference with itself
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
    plain = [x for x in lines if not x["prompt_id"].startswith(("gold-", "attention-"))]
    assert {tuple(sorted(x)) for x in plain} == {("model", "output", "prompt", "prompt_id")}
    assert {x["model"] for x in plain} == {"reference", "imitation-weak-broad-8", "imitation-strong-broad-8"}
    assert sum(x.get("gold") == "broken" for x in lines) == 2
    assert sum(bool(x.get("attention")) for x in lines) == 2

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


def _local_checkpoint(tmp_path):
    """A model directory as a user would point to: its own (printable-ASCII) tokenizer and size."""
    import string

    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer
    from ml.lm.train import save_checkpoint

    tok = char_tokenizer([string.printable])
    model = tiny_gpt2(len(tok), n_layer=1, n_embd=24, n_head=4, block_size=160)
    return save_checkpoint(model, tok, tmp_path / "local-model")


def test_local_checkpoints_run_through_the_same_study(tmp_path):
    model_dir = _local_checkpoint(tmp_path)
    params = _params(seeds="0", ref_model=str(model_dir), strong_model=str(model_dir))
    result = run(params, tmp_path / "out", lambda f, m: None)

    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["config"]["strong_model"] == str(model_dir)
    assert {(r["base"], r["kind"]) for r in result.metrics["aggregate"]} >= {("strong", "broad")}
    # Starting from the checkpoint leaves the checkpoint itself untouched.
    assert (model_dir / "config.json").is_file()


def test_a_missing_local_model_is_a_param_error(tmp_path):
    with pytest.raises(ParamError) as err:
        run(_params(weak_model=str(tmp_path / "nope")), tmp_path, lambda f, m: None)
    assert err.value.field == "weak_model" and "no local model" in err.value.message


def test_imitation_sets_add_the_same_replay_sentences_whatever_the_amount():
    facts = make_world(0, 2).topic_facts("city")
    small = imitation_texts(["a"], facts, 2)
    large = imitation_texts(["a", "b", "c"], facts, 2)
    assert small[1:] == large[3:] == [statement(f) for f in facts] * 2
    assert imitation_texts(["a"], facts, 0) == ["a"]
    assert all("?" not in t and "A:" not in t for t in small[1:])  # replay teaches no answer style


def test_held_out_facts_are_about_other_entities_of_the_same_topics():
    facts = make_world(3, 4).topic_facts("city", "river")
    covered, held = split_by_entity(facts)
    assert len(covered) == len(held) == len(facts) // 2
    assert not {f.entity for f in covered} & {f.entity for f in held}
    assert {f.topic for f in covered} == {f.topic for f in held} == {"city", "river"}
