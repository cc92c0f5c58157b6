import json

import pytest

from ml.apel.errors import ApelError
from ml.apel.session import ApelSession, Question
from ml.apel.simulate import SimulatedAnnotator
from ml.apel.synthesize import SynthesisConfig

GOLD = "SELECT name FROM singer WHERE age > 30"
CANDIDATES = [
    (GOLD, 0.3),
    ("SELECT name FROM singer WHERE age >= 30", 0.4),
    ("SELECT name FROM singer WHERE age < 30", 0.2),
    ("SELECT country FROM singer WHERE age > 30", 0.1),
]
FAST = SynthesisConfig(n_random=25, shrink_evals=40)


def start(schema, **kw):
    args = dict(eps=0.1, tau=0.95, delta=0.05, max_rounds=5, row_budget=12, seed=7, synthesis=FAST)
    return ApelSession.start(schema, CANDIDATES, **{**args, **kw})


def gold_index(session):
    return next(i for i, c in enumerate(session.candidates) if c.sql == GOLD)


def run(session, annotator, log=None):
    while (q := session.next_question()) is not None:
        choice = annotator.answer(q)
        if log is not None:
            log.append((q.to_dict(), choice))
        session.answer(choice)


def test_the_loop_finds_the_gold_program(schema, original_db):
    session = start(schema, original_db=original_db)
    annotator = SimulatedAnnotator(GOLD, schema, 0.0, seed=1)
    first = session.next_question()
    assert isinstance(first, Question) and first.id == "q1"
    assert 2 <= len(first.options) <= 4 and 0 < first.rows_shown <= 12
    assert sorted(i for o in first.options for i in o.candidates) == [0, 1, 2, 3]
    assert [c.sql for c in session.candidates][0] == CANDIDATES[1][0]  # heaviest first
    assert first.info_gain > 0.05 and not first.tie
    assert session.next_question() == first  # asked again until answered
    shown = session.next_question()
    shown.options.reverse()  # the caller shuffles for display; the session's own state must not move
    shown.options[0].rows.clear()
    assert session.next_question() == first
    run(session, annotator)
    assert session.done and session.stop_reason == "confident"
    assert session.label == GOLD and session.confidence >= 0.95
    assert len(session.evidence) == session.rounds >= 1
    assert sum(session.posterior) + session.other_mass == pytest.approx(1.0)


def test_round_trip_is_exact_and_json_compatible(schema, original_db):
    session = start(schema, original_db=original_db)
    session.next_question()
    state = session.to_dict()
    assert json.loads(json.dumps(state)) == state
    again = ApelSession.from_dict(json.loads(json.dumps(state)))
    assert again.to_dict() == state
    session.answer(0)
    state = session.to_dict()
    assert ApelSession.from_dict(json.loads(json.dumps(state))).to_dict() == state


def test_seeded_sessions_replay_identically_even_across_persistence(schema):
    annot = lambda: SimulatedAnnotator(GOLD, schema, 0.1, seed=3)  # noqa: E731
    log_a, log_b = [], []
    run(start(schema), annot(), log_a)
    session, annotator = start(schema), annot()
    while True:  # persist and reload between every request, like the web app
        session = ApelSession.from_dict(json.loads(json.dumps(session.to_dict())))
        q = session.next_question()
        if q is None:
            break
        choice = annotator.answer(q)
        log_b.append((q.to_dict(), choice))
        session = ApelSession.from_dict(json.loads(json.dumps(session.to_dict())))
        session.answer(choice)
    assert log_a == log_b and log_a
    assert start(schema, seed=8).next_question() != start(schema).next_question()


def test_none_and_unsure(schema):
    session = start(schema)
    q = session.next_question()
    before = session.posterior
    session.answer("unsure")
    assert session.posterior == pytest.approx(before) and session.rounds == 1
    assert session.next_question().id == "q2" != q.id
    other = session.other_mass
    session.answer("none")
    assert session.other_mass > 5 * other
    assert session.evidence[-1]["answers"][0]["choice"] == "none"


def test_multiple_annotators_on_one_question(schema):
    session = start(schema)
    q = session.next_question()
    g = gold_index(session)
    gold_option = next(i for i, o in enumerate(q.options) if g in o.candidates)
    wrong = next(i for i, o in enumerate(q.options) if g not in o.candidates)
    session.answer_many([(gold_option, "careful", 0.05), (wrong, "sloppy", 0.4)])
    assert [a["annotator"] for a in session.evidence[0]["answers"]] == ["careful", "sloppy"]
    best = max(range(4), key=lambda i: session.posterior[i])
    assert best in q.options[gold_option].candidates


def test_stopping_rules(schema):
    one = ApelSession.start(schema, [(GOLD, 1.0)], synthesis=FAST)
    assert one.done and one.stop_reason == "confident" and one.next_question() is None
    capped = start(schema, max_rounds=1)
    capped.next_question()
    capped.answer("unsure")
    assert capped.stop_reason == "max_rounds" and capped.next_question() is None
    greedy = start(schema, delta=50.0)  # no database can carry 50 bits
    assert greedy.next_question() is None and greedy.stop_reason == "low_gain"
    sure = start(schema, tau=0.3)  # the prior already clears the bar
    assert sure.stop_reason == "confident" and sure.label == CANDIDATES[1][0]


def test_errors_are_readable(schema):
    session = start(schema)
    with pytest.raises(ApelError, match="no question is waiting"):
        session.answer(0)
    session.next_question()
    with pytest.raises(ApelError, match="unknown choice"):
        session.answer("maybe")
    with pytest.raises(ValueError):
        session.answer(99)
    with pytest.raises(ApelError, match="no usable candidate"):
        ApelSession.start(schema, [("DROP TABLE singer", 1.0)])
    with pytest.raises(ApelError, match="eps"):
        ApelSession.start(schema, CANDIDATES, eps=1.5)


def test_simulated_annotator(schema):
    session = start(schema)
    q = session.next_question()
    perfect = SimulatedAnnotator(GOLD, schema, 0.0)
    right = perfect.correct_choice(q)
    assert gold_index(session) in q.options[right].candidates
    assert all(perfect.answer(q) == right for _ in range(20))
    always_wrong = SimulatedAnnotator(GOLD, schema, 1.0, seed=2)
    picks = {always_wrong.answer(q) for _ in range(60)}
    assert right not in picks and "none" in picks
    outsider = SimulatedAnnotator("SELECT age FROM singer", schema, 0.0)
    assert outsider.correct_choice(q) == "none"
