"""The candidate programs: validated, optionally widened with neighbours, and merged.

A candidate is kept only if it is one read-only query (SELECT, WITH ... SELECT, or a compound
UNION/INTERSECT/EXCEPT) that runs on the schema; every other input is reported with its reason.
Duplicates merge, their weights summed: first by canonical spelling (`canonical`), then by giving
identical outputs on a fuzzed test suite (the original database, if given, plus random ones). Two
programs that agree on all of those are, for an annotator, the same program.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from ml.apel.canonical import canonical_sql
from ml.apel.equivalence import canonical_output
from ml.apel.errors import ApelError
from ml.apel.execute import Database, QueryResult, Sandbox
from ml.apel.fuzz import FuzzConfig, original_sample, pools_for, random_database
from ml.apel.neighbours import neighbours
from ml.apel.parsing import has_top_level_order, parse, tables_in
from ml.apel.schema import Schema


@dataclass
class Candidate:
    sql: str
    weight: float
    origin: str = "user"  # "user", "neighbour" or "lm"
    aliases: list[str] = field(default_factory=list)  # other spellings merged into this one


@dataclass
class Rejection:
    sql: str
    reason: str


@dataclass
class CandidateSet:
    candidates: list[Candidate]
    rejected: list[Rejection]


_WRITES = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "Command",
        "Pragma", "Attach", "Detach", "Transaction", "Commit", "Rollback", "Use", "Set", "Copy",
    )
    if hasattr(exp, name)
)  # fmt: skip
_QUERIES = tuple(
    getattr(exp, n) for n in ("Select", "SetOperation", "Union", "Intersect", "Except") if hasattr(exp, n)
)


def check_sql(sql: str, schema: Schema, sandbox: Sandbox | None = None) -> exp.Expression:
    """Parse and vet one candidate; raise ApelError with the reason it cannot be used."""
    tree = parse(sql, schema)
    root = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(root, _QUERIES):
        raise ApelError(f"not a read-only query: a {type(root).__name__.upper()} statement")
    bad = next(iter(tree.find_all(*_WRITES)), None)
    if bad is not None:
        raise ApelError(f"not a read-only query: contains {type(bad).__name__.upper()}")
    if not tables_in([tree], schema):
        raise ApelError("reads no table of the schema")
    own = sandbox is None
    box = sandbox or Sandbox(schema)
    try:
        box.load({})
        result = box.try_run(sql)
    finally:
        if own:
            box.close()
    if not isinstance(result, QueryResult):
        raise ApelError(f"fails on the schema: {result}")
    return tree


def prepare_candidates(
    items: Sequence[tuple[str, float] | Candidate],
    schema: Schema,
    *,
    neighbour_mass: float = 0.0,
    neighbours_per_candidate: int = 8,
    original_db: Database | None = None,
    mode: str = "list",
    test_dbs: int = 8,
    seed: int = 0,
) -> CandidateSet:
    """Validate, widen and merge candidates; the result is sorted by weight, heaviest first.

    `neighbour_mass` (a share of the total weight, e.g. 0.05) is spread over AST neighbours of the
    given candidates, in proportion to each parent's weight.
    """
    rejected: list[Rejection] = []
    kept: list[Candidate] = []
    with Sandbox(schema) as box:
        for item in items:
            cand = item if isinstance(item, Candidate) else Candidate(str(item[0]), item[1])
            try:
                weight = float(cand.weight)
            except (TypeError, ValueError):
                weight = float("nan")
            if not math.isfinite(weight) or weight <= 0:
                rejected.append(Rejection(cand.sql, f"weight must be a positive number, got {cand.weight!r}"))
                continue
            try:
                check_sql(cand.sql, schema, box)
            except ApelError as e:
                rejected.append(Rejection(cand.sql, str(e)))
                continue
            kept.append(Candidate(cand.sql, weight, cand.origin, list(cand.aliases)))
        if neighbour_mass > 0 and kept:
            kept += _neighbour_candidates(kept, schema, neighbour_mass, neighbours_per_candidate, seed, box)
    kept = _merge_by_spelling(kept, schema)
    kept, failed = _merge_by_outputs(kept, schema, original_db, mode, test_dbs, seed)
    rejected += failed
    return CandidateSet(sorted(kept, key=lambda c: -c.weight), rejected)


def _neighbour_candidates(
    parents: list[Candidate], schema: Schema, mass: float, per: int, seed: int, box: Sandbox
) -> list[Candidate]:
    out = []
    for i, parent in enumerate(parents):
        variants = [
            v
            for v in neighbours(parent.sql, schema, limit=per, seed=seed + i, check=False)
            if _ok(v, schema, box)
        ]
        for v in variants:
            out.append(Candidate(v, mass * parent.weight / len(variants), "neighbour"))
    return out


def _ok(sql: str, schema: Schema, box: Sandbox) -> bool:
    try:
        check_sql(sql, schema, box)
    except ApelError:
        return False
    return True


def _absorb(into: Candidate, other: Candidate) -> None:
    into.weight += other.weight
    for s in [other.sql, *other.aliases]:
        if s != into.sql and s not in into.aliases:
            into.aliases.append(s)


def _merge_by_spelling(cands: list[Candidate], schema: Schema) -> list[Candidate]:
    by_form: dict[str, Candidate] = {}
    for c in sorted(cands, key=lambda c: -c.weight):  # the heaviest spelling represents the group
        form = canonical_sql(c.sql, schema)
        if form in by_form:
            _absorb(by_form[form], c)
        else:
            by_form[form] = Candidate(c.sql, c.weight, c.origin, list(c.aliases))
    return list(by_form.values())


def fuzz_suite(
    schema: Schema, sqls: list[str], original_db: Database | None, n: int, seed: int
) -> list[Database]:
    """The databases candidates are compared on: the original (if any) and `n` fuzzed ones."""
    trees = [parse(s, schema) for s in sqls]
    original = original_sample(original_db, schema) if original_db else None
    pools = pools_for(schema, trees, original)
    tables = schema.with_ancestors(tables_in(trees, schema))
    rng = random.Random(f"suite:{seed}")
    dbs = [original_db] if original_db else []
    for i in range(n):
        config = FuzzConfig(max_rows=4 + 4 * (i % 2))  # alternate small and larger databases
        dbs.append(random_database(schema, tables, pools, rng, config))
    return dbs


def _merge_by_outputs(
    cands: list[Candidate], schema: Schema, original_db: Database | None, mode: str, n: int, seed: int
) -> tuple[list[Candidate], list[Rejection]]:
    if not cands:
        return [], []
    sqls = [c.sql for c in cands]
    dbs = fuzz_suite(schema, sqls, original_db, n, seed)
    sigs = output_signatures(schema, sqls, dbs, mode, first_is_original=original_db is not None)
    merged: dict[str, Candidate] = {}
    failed = []
    for cand, sig in zip(cands, sigs, strict=True):
        if all(s is None for s in sig):
            failed.append(Rejection(cand.sql, "fails on every test database"))
            continue
        key = "\x1f".join("ERROR" if s is None else s for s in sig)
        if key in merged:
            _absorb(merged[key], cand)
        else:
            merged[key] = cand
    return list(merged.values()), failed


def output_signatures(
    schema: Schema, sqls: list[str], dbs: list[Database], mode: str, *, first_is_original: bool = False
) -> list[list[str | None]]:
    """Per candidate, its canonical output on each database (None where it errors). The original
    database may break its own constraints, so it is loaded without them."""
    ordered = [has_top_level_order(parse(s, schema)) for s in sqls]
    sigs: list[list[str | None]] = [[] for _ in sqls]
    boxes: dict[bool, Sandbox] = {}
    try:
        for k, db in enumerate(dbs):
            strict = not (first_is_original and k == 0)
            box = boxes.get(strict) or boxes.setdefault(strict, Sandbox(schema, constraints=strict))
            box.load(db)
            for i, sql in enumerate(sqls):
                r = box.try_run(sql)
                ok = isinstance(r, QueryResult)
                sigs[i].append(canonical_output(r.rows, ordered=ordered[i], mode=mode) if ok else None)
    finally:
        for box in boxes.values():
            box.close()
    return sigs
