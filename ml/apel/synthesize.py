"""Synthesizing the next database to show: random databases scored by information, then shrunk.

`Synthesizer` knows the schema and the candidates. `search` draws many random databases (see
`fuzz`), scores each by the noisy mutual information I(S; R) between the right program and the
annotator's answer, keeps the best, shrinks it (see `shrink`), and returns the point of the
size/information frontier within the row budget that maximises I(S; R) - size_penalty * rows.

A database is rejected if any candidate errors on it, and (see `ties`) if any candidate's
ORDER BY ... LIMIT cuts through a tie; a tie database is used only when no other is informative.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ml.apel.equivalence import canonical_output
from ml.apel.errors import ApelError
from ml.apel.execute import Database, QueryResult, Sandbox, row_count
from ml.apel.fuzz import ColumnPool, FuzzConfig, mutate, random_database
from ml.apel.infogain import entropy, noisy_mutual_information
from ml.apel.literals import ColumnKey
from ml.apel.parsing import columns_in, has_top_level_order, parse, tables_in
from ml.apel.schema import Schema
from ml.apel.shrink import shrink
from ml.apel.ties import has_order_limit_tie, tie_probes


@dataclass
class SynthesisConfig:
    n_random: int = 80  # random databases drawn per question
    min_random: int = 10  # draw at least this many even once every candidate is separated
    mutate_evals: int = 40  # single-cell edits tried on the best random database
    shrink_evals: int = 100  # databases tried while shrinking
    size_penalty: float = 0.01  # bits of information one more displayed row must buy
    row_budget: int = 16  # most rows shown in one question
    min_gain: float = 0.05  # below this many bits, a database with a tie beats a tie-free one
    tie_floor: float = 0.0  # ties only matter for candidates holding at least this much mass
    # Share of uniform weight mixed into the beliefs when scoring databases. Pure MI ignores
    # candidates with little mass, so a badly ranked right answer could stay glued to the favourite
    # forever; the mixture keeps every candidate worth separating (a hedge against a bad prior).
    explore: float = 0.3
    fuzz: FuzzConfig = field(default_factory=FuzzConfig)


@dataclass
class Evaluation:
    results: list[QueryResult]  # per candidate
    keys: list[str]  # canonical output per candidate
    groups: list[list[int]]  # candidates with equal outputs, by first appearance
    option_of: list[int]  # candidate -> index into groups
    mutual_information: float
    expected_entropy: float  # H(S) - I(S; R): expected entropy after one noisy answer
    rows_shown: int
    tie: bool


@dataclass
class Found:
    db: Database
    evaluation: Evaluation
    tried: int  # databases scored during the search


class Synthesizer:
    """Databases for one schema and one candidate list; owns a sandbox to run them in."""

    def __init__(
        self, schema: Schema, sqls: list[str], pools: dict[ColumnKey, ColumnPool], *, mode: str = "list"
    ):
        self.schema = schema
        self.sqls = list(sqls)
        self.pools = pools
        self.mode = mode
        trees = [parse(s, schema) for s in sqls]
        self.ordered = [has_top_level_order(t) for t in trees]
        self.limited = [bool(tie_probes(s)) for s in sqls]
        self.shown = tables_in(trees, schema)  # tables the candidates mention: what the annotator sees
        if not self.shown:
            raise ApelError("the candidates mention no table of the schema")
        self.tables = schema.fk_order(schema.with_ancestors(self.shown))
        self.mentioned = {(t, c) for t, cols in columns_in(trees, schema).items() for c in cols}
        self.sandbox = Sandbox(schema)
        self.evaluations = 0  # databases scored so far (a cost measure for benchmarks)

    def close(self) -> None:
        self.sandbox.close()

    def run(self, db: Database) -> list[QueryResult] | None:
        """Every candidate's result on `db`, or None if any candidate fails on it."""
        self.sandbox.load(db)
        results = []
        for sql in self.sqls:
            r = self.sandbox.try_run(sql)
            if not isinstance(r, QueryResult):
                return None
            results.append(r)
        return results

    def evaluate(
        self, db: Database, weights: list[float], other: float, eps: float, tie_floor: float = 0.0
    ) -> Evaluation | None:
        """Score a database for the current beliefs (`weights` per candidate, `other` for the
        implicit unlisted program). None if a candidate errors on it."""
        self.evaluations += 1
        results = self.run(db)
        if results is None:
            return None
        keys = [
            canonical_output(r.rows, ordered=o, mode=self.mode)
            for r, o in zip(results, self.ordered, strict=True)
        ]
        groups: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        group_list = list(groups.values())
        option_of = [0] * len(keys)
        for g, members in enumerate(group_list):
            for i in members:
                option_of[i] = g
        masses = [sum(weights[i] for i in g) for g in group_list] + [other]  # last: "none of these"
        mi = noisy_mutual_information(masses, eps)
        tie = any(
            lim and w >= tie_floor and has_order_limit_tie(s, self.sandbox)
            for s, lim, w in zip(self.sqls, self.limited, weights, strict=True)
        )
        return Evaluation(
            results, keys, group_list, option_of, mi, entropy(list(weights) + [other]) - mi,
            row_count(db, self.shown), tie,
        )  # fmt: skip

    def search(
        self, weights: list[float], other: float, eps: float, rng: random.Random, config: SynthesisConfig
    ) -> Found | None:
        """The most informative small database found, or None if every draw was unusable.

        Databases are scored against `explore`-mixed beliefs; the returned evaluation reports the
        mutual information under the true beliefs."""
        true_weights, true_other = weights, other
        total = sum(weights) + other
        share = config.explore * total / (len(weights) + 1)
        weights = [(1 - config.explore) * w + share for w in weights]
        other = (1 - config.explore) * other + share
        best: tuple[float, Database, Evaluation] | None = None
        best_tie: tuple[float, Database, Evaluation] | None = None
        ceiling = noisy_mutual_information(list(weights) + [other], eps)  # every candidate separated
        start = self.evaluations
        for i in range(config.n_random):
            db = random_database(self.schema, self.tables, self.pools, rng, config.fuzz)
            ev = self.evaluate(db, weights, other, eps, config.tie_floor)
            if ev is None:
                continue
            score = ev.mutual_information - config.size_penalty * ev.rows_shown
            slot = best_tie if ev.tie else best
            if slot is None or score > slot[0]:
                if ev.tie:
                    best_tie = (score, db, ev)
                else:
                    best = (score, db, ev)
            if (
                best is not None
                and i + 1 >= config.min_random
                and best[2].mutual_information >= ceiling - 1e-9
            ):
                break
        chosen = best
        if best_tie is not None and (best is None or best[2].mutual_information < config.min_gain):
            chosen = best_tie if best is None or best_tie[0] > best[0] else best
        if chosen is None:
            return None
        _, db, ev = chosen
        allow_tie = ev.tie
        if ev.mutual_information < ceiling - 1e-9:
            db = self._hill_climb(chosen, weights, other, eps, rng, config, allow_tie)

        def score(candidate: Database) -> float | None:
            e = self.evaluate(candidate, weights, other, eps, config.tie_floor)
            if e is None or (e.tie and not allow_tie):
                return None
            return e.expected_entropy

        frontier = shrink(
            db, schema=self.schema, shown=self.shown, score=score, rng=rng, max_evals=config.shrink_evals
        )
        fits = [p for p in frontier if p.rows <= config.row_budget] or frontier[:1]
        pick = min(fits, key=lambda p: p.expected_entropy + config.size_penalty * p.rows)
        final = self.evaluate(pick.db, true_weights, true_other, eps, config.tie_floor)
        return Found(pick.db, final, self.evaluations - start)

    def _hill_climb(
        self,
        start: tuple[float, Database, Evaluation],
        weights: list[float],
        other: float,
        eps: float,
        rng: random.Random,
        config: SynthesisConfig,
        allow_tie: bool,
    ) -> Database:
        """Redraw single cells of the best random database, keeping edits that do not lower its
        score: random draws rarely hit the one value that splits two close candidates."""
        best_score, db, _ = start
        for _ in range(config.mutate_evals):
            trial = mutate(db, self.schema, self.tables, self.pools, rng, config.fuzz, self.mentioned)
            if trial is None:
                break
            ev = self.evaluate(trial, weights, other, eps, config.tie_floor)
            if ev is None or (ev.tie and not allow_tie):
                continue
            score = ev.mutual_information - config.size_penalty * ev.rows_shown
            if score >= best_score:
                best_score, db = score, trial
        return db
