import random

import pytest

from ml.apel.execute import Sandbox
from ml.apel.fuzz import pools_for
from ml.apel.parsing import parse
from ml.apel.synthesize import SynthesisConfig, Synthesizer
from ml.apel.ties import has_order_limit_tie, tie_probes


def singers(*rows):
    return {"singer": [[i + 1, name, None, age, None, None] for i, (name, age) in enumerate(rows)]}


@pytest.fixture
def box(schema):
    with Sandbox(schema) as b:
        yield b


def test_tie_at_the_cut_is_detected(box):
    box.load(singers(("Ann", 20), ("Ben", 20), ("Cid", 30)))
    assert has_order_limit_tie("SELECT name FROM singer ORDER BY age LIMIT 1", box)
    assert not has_order_limit_tie("SELECT name FROM singer ORDER BY age LIMIT 2", box)  # both tied rows kept
    assert not has_order_limit_tie("SELECT name FROM singer ORDER BY age DESC LIMIT 1", box)
    assert not has_order_limit_tie("SELECT name FROM singer ORDER BY age", box)  # no LIMIT, no cut


def test_tied_rows_that_look_the_same_are_not_ambiguous(box):
    box.load(singers(("Ann", 20), ("Ben", 20), ("Cid", 30)))
    assert not has_order_limit_tie("SELECT age FROM singer ORDER BY age LIMIT 1", box)


def test_aliases_positions_and_subqueries(box):
    box.load(singers(("Ann", 20), ("Ben", 20), ("Cid", 30)))
    assert has_order_limit_tie("SELECT name, age AS a FROM singer ORDER BY a LIMIT 1", box)
    assert has_order_limit_tie("SELECT name, age FROM singer ORDER BY 2 LIMIT 1", box)
    assert has_order_limit_tie(
        "SELECT count(*) FROM singer WHERE name = (SELECT name FROM singer ORDER BY age LIMIT 1)", box
    )
    assert tie_probes("SELECT name FROM singer") == ()


def test_ties_work_on_a_plain_connection(box):
    box.load(singers(("Ann", 20), ("Ben", 20)))
    box.conn.set_authorizer(None)
    assert has_order_limit_tie("SELECT name FROM singer ORDER BY age LIMIT 1", box.conn)


def test_synthesis_rejects_tie_databases(schema):
    sqls = [
        "SELECT name FROM singer ORDER BY age LIMIT 1",
        "SELECT name FROM singer ORDER BY age DESC LIMIT 1",
        "SELECT name FROM singer ORDER BY net_worth LIMIT 1",
    ]
    synth = Synthesizer(schema, sqls, pools_for(schema, [parse(s, schema) for s in sqls]))
    try:
        for seed in range(5):
            found = synth.search([0.4, 0.3, 0.3], 0.0, 0.1, random.Random(seed), SynthesisConfig(n_random=30))
            assert found is not None and not found.evaluation.tie
            synth.sandbox.load(found.db)
            assert not any(has_order_limit_tie(s, synth.sandbox) for s in sqls)
            assert len(found.evaluation.groups) >= 2
    finally:
        synth.close()
