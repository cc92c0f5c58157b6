"""One APEL labelling session: a plain state machine the web app stores between requests.

    session = ApelSession.start(schema, [(sql, weight), ...], eps=0.1, seed=0)
    while (q := session.next_question()) is not None:
        session.answer(choice)          # an option index, "none" or "unsure"
    session.label, session.stop_reason

The state is JSON-compatible (`to_dict` / `from_dict` round-trip exactly) and every random draw
comes from `seed` and the round number, so a session replays identically.

Beliefs: a prior over the candidates plus an implicit "other program" hypothesis with a small
mass (`other_mass`), standing for a right program nobody proposed; it always predicts "none of
these" (see `posterior`). Stopping: "confident" when the top candidate's posterior reaches `tau`,
"low_gain" when the most informative database found carries less than `delta` bits (noisy mutual
information), "max_rounds" after `max_rounds` questions ("unsure" answers count as rounds).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ml.apel.candidates import Candidate, CandidateSet, Rejection, prepare_candidates
from ml.apel.display import display_tables, plain, rows_shown
from ml.apel.errors import ApelError
from ml.apel.execute import Database, read_database
from ml.apel.fuzz import FuzzConfig, original_sample, pools_for
from ml.apel.parsing import parse
from ml.apel.posterior import NONE, UNSURE, update_many
from ml.apel.schema import Schema
from ml.apel.synthesize import SynthesisConfig, Synthesizer


@dataclass
class Option:
    columns: list[str]
    rows: list[list[Any]]
    candidates: list[int]  # indices into session.candidates that produce this output
    key: str  # canonical output (see equivalence), to compare with another program's output


@dataclass
class Question:
    id: str
    tables: dict[str, dict[str, list[Any]]]  # what to display (see display)
    options: list[Option]  # "none of these" is implied as a last, extra choice
    info_gain: float  # noisy mutual information of this database, in bits
    rows_shown: int
    tie: bool  # some candidate's ORDER BY ... LIMIT cuts through a tie on this database
    database: Database  # every row, hidden FK parents included

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Question:
        return cls(**{**d, "options": [Option(**o) for o in d["options"]]})


@dataclass
class ApelSession:
    schema: Schema
    candidates: list[Candidate]
    rejected: list[Rejection]
    prior: list[float]  # per candidate; sums with other_prior to 1
    weights: list[float]  # posterior per candidate
    other: float  # posterior of "some other program"
    other_prior: float
    eps: float
    tau: float
    delta: float
    max_rounds: int
    row_budget: int
    seed: int
    mode: str
    synthesis: dict[str, Any]
    original_values: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    rounds: int = 0
    pending: dict[str, Any] | None = None  # the question awaiting an answer, with option_of
    evidence: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None

    @classmethod
    def start(
        cls,
        schema: Schema,
        candidates: Sequence[tuple[str, float]] | CandidateSet,
        *,
        eps: float = 0.1,
        tau: float = 0.9,
        delta: float = 0.05,
        max_rounds: int = 5,
        row_budget: int = 16,
        seed: int = 0,
        original_db: Database | str | Path | None = None,
        mode: str = "list",
        other_mass: float = 0.02,
        neighbour_mass: float = 0.0,
        synthesis: SynthesisConfig | None = None,
    ) -> ApelSession:
        """Validate and merge the candidates, and set up the beliefs. Raises ApelError when no
        candidate is usable (the message lists why each was rejected)."""
        if not 0 <= eps < 1 or not 0 < tau <= 1 or delta < 0 or max_rounds < 1 or row_budget < 1:
            raise ApelError("need 0 <= eps < 1, 0 < tau <= 1, delta >= 0, max_rounds >= 1, row_budget >= 1")
        if not 0 < other_mass < 1:
            raise ApelError("other_mass must be in (0, 1)")
        if isinstance(original_db, (str, Path)):
            original_db = read_database(str(original_db), schema)
        if isinstance(candidates, CandidateSet):
            prepared = candidates
        else:
            prepared = prepare_candidates(
                candidates,
                schema,
                neighbour_mass=neighbour_mass,
                original_db=original_db,
                mode=mode,
                seed=seed,
            )
        if not prepared.candidates:
            reasons = "; ".join(f"{r.sql!r}: {r.reason}" for r in prepared.rejected) or "none given"
            raise ApelError(f"no usable candidate ({reasons})")
        total = sum(c.weight for c in prepared.candidates)
        prior = [(1 - other_mass) * c.weight / total for c in prepared.candidates]
        values: dict[str, dict[str, list[Any]]] = {}
        for (t, c), vals in (original_sample(original_db, schema) if original_db else {}).items():
            values.setdefault(t, {})[c] = [plain(v) for v in vals]
        session = cls(
            schema=schema,
            candidates=prepared.candidates,
            rejected=prepared.rejected,
            prior=prior,
            weights=list(prior),
            other=other_mass,
            other_prior=other_mass,
            eps=eps,
            tau=tau,
            delta=delta,
            max_rounds=max_rounds,
            row_budget=row_budget,
            seed=seed,
            mode=mode,
            synthesis=_config_to_dict(
                replace(synthesis or SynthesisConfig(), row_budget=row_budget, min_gain=delta)
            ),
            original_values=values,
        )
        session._check_stop()
        return session

    # ----- reading the state

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    @property
    def posterior(self) -> list[float]:
        """Posterior per candidate; `other_mass` holds the rest."""
        return list(self.weights)

    @property
    def other_mass(self) -> float:
        return self.other

    @property
    def top(self) -> int:
        return max(range(len(self.weights)), key=lambda i: self.weights[i])

    @property
    def label(self) -> str:
        """The most probable candidate's SQL."""
        return self.candidates[self.top].sql

    @property
    def confidence(self) -> float:
        return self.weights[self.top]

    # ----- the loop

    def next_question(self) -> Question | None:
        """The question to ask now (the same one until it is answered), or None when done."""
        if self.pending is not None:
            # A deep copy: callers shuffle options for display, which must not touch our state.
            return Question.from_dict(
                copy.deepcopy({k: v for k, v in self.pending.items() if k != "option_of"})
            )
        if self.done or self._check_stop():
            return None
        config = _config_from_dict(self.synthesis)
        sqls = [c.sql for c in self.candidates]
        pools = pools_for(self.schema, [parse(s, self.schema) for s in sqls], self._original())
        synth = Synthesizer(self.schema, sqls, pools, mode=self.mode)
        try:
            found = synth.search(
                self.weights, self.other, self.eps, random.Random(f"{self.seed}:{self.rounds}"), config
            )
        finally:
            synth.close()
        if found is None or found.evaluation.mutual_information < self.delta:
            self.stop_reason = "low_gain"
            return None
        ev = found.evaluation
        options = []
        for members in ev.groups:
            rep = max(members, key=lambda i: self.weights[i])  # show the likeliest member's columns
            result = ev.results[rep]
            options.append(
                Option(
                    list(result.columns),
                    [[plain(v) for v in r] for r in result.rows],
                    list(members),
                    ev.keys[rep],
                )
            )
        tables = display_tables(self.schema, found.db, sqls)
        question = Question(
            id=f"q{self.rounds + 1}",
            tables=tables,
            options=options,
            info_gain=float(ev.mutual_information),
            rows_shown=rows_shown(tables),
            tie=bool(ev.tie),
            database={t: [list(r) for r in rows] for t, rows in found.db.items()},
        )
        self.pending = {**question.to_dict(), "option_of": list(ev.option_of)}
        return question

    def answer(self, choice: int | str, *, annotator: str | None = None, eps: float | None = None) -> None:
        """Record one answer to the pending question: an option index, "none" or "unsure"."""
        self.answer_many([(choice, annotator, eps)])

    def answer_many(self, responses: Sequence[tuple[int | str, str | None, float | None]]) -> None:
        """Record several annotators' answers (choice, annotator, eps) to the pending question at
        once; each uses its own error rate (None: the session's eps)."""
        if self.pending is None:
            raise ApelError("no question is waiting for an answer; call next_question() first")
        if not responses:
            raise ApelError("no answer given")
        q = self.pending
        k = len(q["options"]) + 1
        option_of = list(q["option_of"]) + [k - 1]  # "other" predicts "none of these"
        answers = []
        for choice, _, eps in responses:
            if isinstance(choice, str) and choice not in (NONE, UNSURE):
                raise ApelError(f"unknown choice {choice!r}; use an option index, 'none' or 'unsure'")
            answers.append((choice, self.eps if eps is None else eps))
        try:
            post = update_many(self.weights + [self.other], option_of, answers, k)
        except ValueError as e:
            raise ApelError(str(e)) from None
        self.weights, self.other = post[:-1], post[-1]
        self.evidence.append(
            {
                "question": q["id"],
                "database": q["database"],
                "options": [o["candidates"] for o in q["options"]],
                "info_gain": q["info_gain"],
                "rows_shown": q["rows_shown"],
                "tie": q["tie"],
                "answers": [
                    {"choice": c, "annotator": a, "eps": self.eps if e is None else e}
                    for c, a, e in responses
                ],
            }
        )
        self.pending = None
        self.rounds += 1
        self._check_stop()

    def _check_stop(self) -> str | None:
        if self.stop_reason is None:
            if max(self.weights) >= self.tau:
                self.stop_reason = "confident"
            elif self.rounds >= self.max_rounds:
                self.stop_reason = "max_rounds"
        return self.stop_reason

    def _original(self) -> dict[tuple[str, str], list[Any]]:
        return {(t, c): vals for t, cols in self.original_values.items() for c, vals in cols.items()}

    # ----- persistence

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible state (a deep copy: editing it does not touch the session)."""
        return copy.deepcopy(
            {
                "schema": self.schema.to_dict(),
                "candidates": [asdict(c) for c in self.candidates],
                "rejected": [asdict(r) for r in self.rejected],
                "prior": list(self.prior),
                "weights": list(self.weights),
                "other": self.other,
                "other_prior": self.other_prior,
                "eps": self.eps,
                "tau": self.tau,
                "delta": self.delta,
                "max_rounds": self.max_rounds,
                "row_budget": self.row_budget,
                "seed": self.seed,
                "mode": self.mode,
                "synthesis": dict(self.synthesis),
                "original_values": self.original_values,
                "rounds": self.rounds,
                "pending": self.pending,
                "evidence": self.evidence,
                "stop_reason": self.stop_reason,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ApelSession:
        d = copy.deepcopy(d)
        return cls(
            **{
                **d,
                "schema": Schema.from_dict(d["schema"]),
                "candidates": [Candidate(**c) for c in d["candidates"]],
                "rejected": [Rejection(**r) for r in d["rejected"]],
            }
        )


def _config_to_dict(config: SynthesisConfig) -> dict[str, Any]:
    return asdict(config)


def _config_from_dict(d: dict[str, Any]) -> SynthesisConfig:
    return SynthesisConfig(**{**d, "fuzz": FuzzConfig(**d["fuzz"])})
