"""CALM's data, relabelling, model, trainer, agent and experiments, on tiny settings."""

import dataclasses
import json
import random

import pytest
import torch

from ml.calm import data
from ml.calm.experiments import evaluate_entry, part_rates, success_gap, train_entry
from ml.calm.model import AGENT, CalmConfig, CalmModel, Vocab, load
from ml.calm.train import CalmAgent, TrainSettings, collate, dialogue_ids, make_example, self_play, train
from ml.calm.world import Context, is_success, parse_action
from ml.experiments import ParamError

TINY = {"n_layer": 1, "n_embd": 32}


@pytest.fixture(scope="module")
def dialogues():
    return data.generate(80, seed=3)


def _failed(dialogues):
    return [d for d in dialogues if not d["success"]]


def test_behaviour_data_is_imperfect_and_records_the_outcome(dialogues):
    rates = [d["success"] for d in dialogues]
    assert 0 < sum(rates) < len(rates)
    for d in dialogues:
        action = parse_action(d["action"] or "")
        assert d["success"] == is_success(Context.from_json(d["context"]), action)
        assert d["turns"][-1]["is_action"] and d["turns"][-1]["text"].startswith("ACTION")


def test_training_and_held_out_contexts_are_disjoint():
    seeds = {d["context"]["seed"] for d in data.generate(5, seed=2)}
    assert all(s < data.HELD_OUT_BASE for s in seeds)
    played = self_play(lambda env, history: "ACTION: no_flight | Nobody", 3)
    assert [g["seed"] for g in played] == [data.HELD_OUT_BASE + i for i in range(3)]


def test_relabelling_makes_the_final_action_correct_and_keeps_the_dialogue(dialogues):
    failed = _failed(dialogues)
    assert failed
    relabelled, counts = data.relabel_all(dialogues, seed=0)
    assert counts["relabelled"] == len(relabelled) >= len(failed) // 2
    by_text = {json.dumps(d["turns"]): d for d in failed}
    for new in relabelled:
        old = by_text[json.dumps(new["turns"])]  # the utterances are unchanged
        assert new["success"] and new["relabelled"]
        assert new["action"] == old["action"]
        assert new["context"]["goal"] == old["context"]["goal"]
        context = Context.from_json(new["context"])
        assert is_success(context, parse_action(new["action"]))
        # Every fact the agent stated about an offered flight still holds in the new table.
        for flight_id, facts in data.stated_facts(old["turns"]).items():
            flight = context.flight(flight_id)
            assert all(getattr(flight, key) == value for key, value in facts.items())


def test_relabelling_gives_up_when_no_table_can_fix_the_action(dialogues):
    dialogue = dict(_failed(dialogues)[0])
    wrong_name = dataclasses.replace(parse_action(dialogue["action"]), name="Not Them")
    dialogue["action"] = wrong_name.text()
    assert data.relabel(dialogue, random.Random(0), tries=50) is None


def test_read_jsonl_names_the_bad_line(tmp_path, dialogues):
    path = data.write_jsonl(dialogues[:2], tmp_path / "d.jsonl")
    assert len(list(data.read_jsonl(path))) == 2
    path.write_text(path.read_text() + '{"turns": []}\n')
    with pytest.raises(ValueError, match="line 3"):
        list(data.read_jsonl(path))


def test_vocab_round_trips_the_agents_utterances():
    offer = (
        "I found flight 1003 on Delta, economy class, leaving in the morning and returning in the evening, "
        "1 connection, for $350. Shall I book it?"
    )
    vocab = Vocab.build([offer])
    for text in (offer, "ACTION: book | 1012 | Ava Adams", "ACTION: no_flight | Zoe Zhang"):
        assert vocab.decode(vocab.encode(text)) == text
    # Every name, airport and fare the world can produce is a word, even if no dialogue used it.
    assert vocab.encode("Umar Khan $1950 PHX")[0] != vocab.id("<unk>")
    assert vocab.encode("zebra") == [vocab.id("<unk>")]


def _model(**config):
    base = {**TINY, **config}
    return CalmModel(Vocab.build([]), CalmConfig(**base))


def test_dialogue_ids_train_only_the_agents_words(dialogues):
    model = _model()
    turns = dialogues[0]["turns"]
    ids, labels, pool_len = dialogue_ids(model, turns, True)
    vocab = model.vocab
    assert ids[0] == vocab.id("<success>")
    assert len(ids) == len(labels)
    # Labelled tokens are exactly the agent's words and end-of-line tokens.
    agent_words = sum(len(vocab.encode(t["text"])) + 1 for t in turns if t["is_action"])
    assert sum(label != -100 for label in labels) == agent_words
    # The pool stops at the final agent turn's speaker token: it never sees the action's words.
    assert ids[pool_len - 1] == vocab.id(AGENT)
    assert vocab.decode(ids[pool_len:]).startswith("ACTION")
    plain = _model(use_table=False, reward_token=False, aux_weight=0.0)
    assert dialogue_ids(plain, turns, True)[0] == ids[1:]


def test_the_table_reaches_calms_predictions_but_not_the_plain_lms(dialogues):
    torch.manual_seed(0)
    record = dict(dialogues[0])
    other = dict(record, context=data.generate(1, seed=9)[0]["context"])
    for config, changes in (
        ({}, True),
        ({"use_table": False, "reward_token": False, "aux_weight": 0.0}, False),
    ):
        model = _model(**config).eval()
        logits = []
        for r in (record, other):
            batch = collate([make_example(model, r)], 0, model.config.use_table)
            with torch.no_grad():
                logits.append(
                    model(
                        batch["input_ids"], batch["attention_mask"], batch.get("tables"), batch.get("held")
                    )[0]
                )
        assert (not torch.allclose(logits[0], logits[1])) == changes


def test_the_auxiliary_pool_ignores_the_final_action(dialogues):
    torch.manual_seed(0)
    model = _model().eval()
    example = make_example(model, dialogues[0])
    batch = collate([example], 0, True)
    changed = dict(batch, input_ids=batch["input_ids"].clone())
    changed["input_ids"][0, example.pool_len :] = model.vocab.id("Delta")
    with torch.no_grad():
        outs = []
        for b in (batch, changed):
            _, hidden, keys = model(b["input_ids"], b["attention_mask"], b["tables"], b["held"])
            outs.append(model.aux_logits(hidden, b["pool_mask"], keys))
    assert torch.allclose(outs[0][0], outs[1][0]) and torch.allclose(outs[0][1], outs[1][1])


def test_the_pointer_shares_the_lms_flight_id_mass_among_the_flights():
    torch.manual_seed(0)
    model = _model().eval()
    vocab_size, d = len(model.vocab), model.config.n_embd
    logits, hidden = torch.randn(1, 2, vocab_size), torch.randn(1, 2, d)
    with torch.no_grad():
        keys = torch.zeros(1, 30, d)
        keys[0, 7] = 10 * model.flight_query(hidden)[0, 1]  # flight 7 matches the second position's query
        pointed = model.point(logits, hidden, keys)
    ids = model.flight_tokens
    others = torch.ones(vocab_size, dtype=torch.bool)
    others[ids] = False
    assert torch.equal(pointed[..., others], logits[..., others])
    assert torch.allclose(pointed[..., ids].logsumexp(-1), logits[..., ids].logsumexp(-1), atol=1e-5)
    assert int(pointed[0, 1, ids].argmax()) == 7
    assert model.vocab.tokens[int(ids[7])] == "1007"
    # Without a table there is nothing to point at: the plain LM's logits pass through.
    assert model.point(logits, hidden, None) is logits


def test_the_auxiliary_loss_needs_the_table():
    with pytest.raises(ValueError, match="needs use_table"):
        _model(use_table=False, aux_weight=0.5)


def test_training_lowers_the_loss_and_the_checkpoint_round_trips(tmp_path, dialogues):
    model, figures = train(dialogues[:40], TrainSettings(steps=40, batch_size=8, lr=3e-3, **TINY))
    curve = figures["loss_curve"]
    assert sum(curve[-5:]) / 5 < sum(curve[:5]) / 5 - 0.5
    assert figures["relabelled"] > 0 and figures["examples"] > 40
    path = model.save(tmp_path / "agent", {"variant": "calm"})
    loaded = load(path)
    batch = collate([make_example(model, dialogues[0])], 0, True)
    with torch.no_grad():
        a = model(batch["input_ids"], batch["attention_mask"], batch["tables"], batch["held"])[0]
        b = loaded(batch["input_ids"], batch["attention_mask"], batch["tables"], batch["held"])[0]
    assert torch.allclose(a, b, atol=1e-5)
    # The agent decodes the same replies from the loaded checkpoint: a replayed game is the same game.
    assert [g["action"] for g in self_play(CalmAgent(model), 2)] == [
        g["action"] for g in self_play(CalmAgent(loaded), 2)
    ]


def test_unknown_variant_is_refused(dialogues):
    with pytest.raises(ValueError, match="unknown variant"):
        train(dialogues[:5], TrainSettings(variant="nope", steps=1))


def _report(fraction, message):
    assert 0.0 <= fraction <= 1.0


@pytest.fixture
def workdirs(tmp_path):
    # The worker creates each run's work directory before the entry point runs.
    for name in ("train", "eval", "cmp", "e", "t"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_train_and_evaluate_experiments_end_to_end(workdirs):
    tmp_path = workdirs
    params = {
        "preset": "smoke", "variant": "calm", "seed": 0, "eval_games": 2, "dataset": "", "dialogues": 60,
        "steps": 8, "batch_size": 8, "lr": 1e-3, **TINY,
    }  # fmt: skip
    result = train_entry(params, tmp_path / "train", _report)
    names = {a.name for a in result.artifacts}
    assert {"calm-calm", "dialogues.jsonl", "metrics.json", "loss.png", "loss.svg"} <= names
    assert 0.0 <= result.metrics["success"] <= 1.0
    checkpoint = next(a.path for a in result.artifacts if a.kind == "checkpoint")
    assert (checkpoint / "calm.json").is_file()

    evaluated = evaluate_entry(
        {**params, "checkpoint": str(checkpoint), "variants": "calm", "seeds": "0"},
        tmp_path / "eval",
        _report,
    )
    assert set(evaluated.metrics["variants"]) == {"checkpoint"}
    assert any(a.name == "success.png" for a in evaluated.artifacts)

    compared = evaluate_entry(
        {**params, "checkpoint": "", "variants": "calm,plain", "seeds": "0", "eval_games": 1, "workers": 2},
        tmp_path / "cmp",
        _report,
    )
    assert set(compared.metrics["variants"]) == {"calm", "plain"}
    assert "calm_minus_plain" in compared.metrics
    agents = {a.name: a.path for a in compared.artifacts if a.kind == "checkpoint"}
    assert set(agents) == {"calm-calm-seed0", "calm-plain-seed0"}
    # The agents trained in worker processes are the ones that played: reloading one replays its games.
    played = [json.loads(line) for line in (tmp_path / "cmp" / "games.jsonl").read_text().splitlines()]
    calm_games = [g for g in played if g["variant"] == "calm"]
    assert self_play(CalmAgent(load(agents["calm-calm-seed0"])), 1)[0]["action"] == calm_games[0]["action"]


def test_bad_inputs_get_clear_errors(workdirs):
    tmp_path = workdirs
    params = {
        "preset": "full", "variant": "calm", "seed": 0, "eval_games": 1, "dialogues": 10, "steps": 1,
        "batch_size": 2, "lr": 1e-3, "checkpoint": str(tmp_path), "variants": "calm", "seeds": "0", **TINY,
    }  # fmt: skip
    with pytest.raises(ParamError, match="not a CALM checkpoint"):
        evaluate_entry({**params, "dataset": ""}, tmp_path / "e", _report)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(ParamError, match="line 1"):
        train_entry({**params, "dataset": str(bad)}, tmp_path / "t", _report)
    with pytest.raises(ParamError, match="no such file"):
        train_entry({**params, "dataset": str(tmp_path / "missing.jsonl")}, tmp_path / "t", _report)
    from ml.experiments import get

    with pytest.raises(ParamError, match="variants"):
        get("calm.evaluate").validate({"variants": "calm,bogus"})
    with pytest.raises(ParamError, match="n_embd"):
        get("calm.train").validate({"n_embd": 30})


def test_the_flight_rate_counts_only_games_whose_correct_action_names_a_flight():
    def game(success, status, flight, name, due):
        return {
            "success": success,
            "right": {"status": status, "flight": flight, "name": name},
            "flight_due": due,
        }

    games = [game(True, True, True, True, True), game(False, True, False, True, True)]
    games += [
        game(True, True, True, True, False),
        game(False, False, True, False, False),
    ]  # "no flight" is right
    assert part_rates(games) == {
        "status_right": 0.75,
        "name_right": 0.75,
        "flight_right_when_due": 0.5,
        "success_when_flight_due": 0.5,
    }
    assert part_rates(games[2:])["flight_right_when_due"] is None


def test_the_success_gap_pairs_games_by_context():
    def games(wins):
        return [{"seed": 100 + i % 2, "success": w} for i, w in enumerate(wins)]

    gap = success_gap(games([True, True, False, True]), games([False, True, False, False]))
    assert gap["points"] == 50.0
    assert gap["ci"][0] <= 50.0 <= gap["ci"][1]
    assert success_gap(games([True, False]), games([True, False])) == {"points": 0.0, "ci": [0.0, 0.0]}
    with pytest.raises(ValueError, match="same contexts"):
        success_gap(games([True]), [{"seed": 7, "success": True}])
