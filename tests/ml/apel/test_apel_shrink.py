import random

from ml.apel.execute import Sandbox, row_count
from ml.apel.fuzz import mutate, pools_for, random_database
from ml.apel.parsing import parse
from ml.apel.shrink import FrontierPoint, add_to_frontier, cascade_delete, shrink
from ml.apel.synthesize import SynthesisConfig, Synthesizer


def test_cascading_delete_keeps_foreign_keys_valid(schema, original_db):
    carol_gone = cascade_delete(original_db, schema, "singer", {2})
    assert [r[1] for r in carol_gone["singer"]] == ["Alice", "Bob", "Dave"]
    assert [r[0] for r in carol_gone["concert"]] == [10, 11, 13]  # her concert went with her
    assert [r[1] for r in carol_gone["ticket"]] == ["A1", "A2"]  # and its ticket, a grandchild
    # Alice mentors Bob and Carol, and Bob mentors Dave: the self-reference cascades all the way.
    alice_gone = cascade_delete(original_db, schema, "singer", {0})
    assert alice_gone["singer"] == [] and alice_gone["concert"] == [] and alice_gone["ticket"] == []
    assert len(original_db["singer"]) == 4  # the input is not modified
    with Sandbox(schema) as box:
        for db in (carol_gone, alice_gone):
            box.load(db)
            assert box.foreign_key_violations() == []


def test_frontier_keeps_only_undominated_points():
    f = []
    for rows, h in [(10, 1.0), (8, 1.0), (12, 0.5), (6, 2.0), (9, 0.9), (12, 0.7)]:
        f = add_to_frontier(f, FrontierPoint(rows, h, {}))
    assert [(p.rows, p.expected_entropy) for p in f] == [(6, 2.0), (8, 1.0), (9, 0.9), (12, 0.5)]


def test_shrinking_never_loses_information_on_its_kept_path(schema):
    sqls = ["SELECT name FROM singer WHERE age > 30", "SELECT name FROM singer WHERE age >= 30"]
    synth = Synthesizer(schema, sqls, pools_for(schema, [parse(s, schema) for s in sqls]))
    try:
        rng = random.Random(0)
        db = next(
            d
            for d in (random_database(schema, synth.tables, synth.pools, rng) for _ in range(200))
            if (e := synth.evaluate(d, [0.5, 0.5], 0.0, 0.1)) and len(e.groups) == 2
        )
        h0 = synth.evaluate(db, [0.5, 0.5], 0.0, 0.1).expected_entropy

        def score(d):
            e = synth.evaluate(d, [0.5, 0.5], 0.0, 0.1)
            return None if e is None else e.expected_entropy

        frontier = shrink(db, schema=schema, shown=synth.shown, score=score, rng=rng, max_evals=60)
        best = min(frontier, key=lambda p: p.expected_entropy)
        assert best.expected_entropy <= h0 + 1e-9
        assert min(p.rows for p in frontier) < row_count(db, synth.shown)
        # The smallest separating database needs just one singer aged exactly 30.
        found = synth.search([0.5, 0.5], 0.0, 0.1, random.Random(1), SynthesisConfig(n_random=30))
        assert len(found.evaluation.groups) == 2 and found.evaluation.rows_shown <= 3
    finally:
        synth.close()


def test_cell_mutations_keep_constraints(schema):
    sqls = ["SELECT name FROM singer WHERE age > 30 AND country = 'France'"]
    pools = pools_for(schema, [parse(s, schema) for s in sqls])
    rng = random.Random(4)
    tables = schema.fk_order(schema.with_ancestors(["ticket"]))
    db = random_database(schema, tables, pools, rng)
    with Sandbox(schema) as box:
        for _ in range(100):
            db = mutate(db, schema, tables, pools, rng) or db
            box.load(db)
            assert box.foreign_key_violations() == []
    only = {("singer", "age")}
    changed = mutate(db, schema, tables, pools, rng, only=only)
    diffs = {
        (t, i)
        for t in db
        for r0, r1 in zip(db[t], changed[t], strict=True)
        for i, (a, b) in enumerate(zip(r0, r1, strict=True))
        if a != b
    }
    assert diffs <= {("singer", 3)}
