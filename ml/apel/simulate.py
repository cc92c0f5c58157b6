"""A simulated annotator for benchmarks: it knows the gold program and errs at rate eps.

With probability 1 - eps it picks the option showing the gold program's output ("none of these"
if no option does); otherwise it picks uniformly among the other choices, "none" included.
"""

from __future__ import annotations

import random

from ml.apel.equivalence import canonical_output
from ml.apel.execute import QueryResult, Sandbox
from ml.apel.parsing import has_top_level_order, parse
from ml.apel.posterior import NONE
from ml.apel.schema import Schema
from ml.apel.session import Question


class SimulatedAnnotator:
    def __init__(self, gold_sql: str, schema: Schema, eps: float, *, seed: int = 0, mode: str = "list"):
        self.gold_sql = gold_sql
        self.schema = schema
        self.eps = eps
        self.mode = mode
        self.rng = random.Random(f"annotator:{seed}")
        self.ordered = has_top_level_order(parse(gold_sql, schema))

    def correct_choice(self, question: Question) -> int | str:
        """The option showing the gold output, or "none"."""
        with Sandbox(self.schema) as box:
            box.load(question.database)
            result = box.try_run(self.gold_sql)
        if not isinstance(result, QueryResult):
            return NONE
        key = canonical_output(result.rows, ordered=self.ordered, mode=self.mode)
        return next((i for i, o in enumerate(question.options) if o.key == key), NONE)

    def answer(self, question: Question) -> int | str:
        correct = self.correct_choice(question)
        if self.rng.random() < self.eps:
            others = [c for c in [*range(len(question.options)), NONE] if c != correct]
            return self.rng.choice(others)
        return correct
