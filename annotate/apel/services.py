"""APEL on the platform: import, one engine session per assignment, and the combined label per item.

Views and the API only parse input and call these. The engine (ml/apel) is plain Python; this module
stores its JSON state in Assignment.state and records each answered round as an immutable Response
through the shared queue, in the same transaction.

Combining annotators: each annotator runs their own session (their own databases, seeded by the
assignment id). When one finishes, the item's label is recomputed from the prior and every finished
annotator's answers together, each answer weighted by that annotator's error rate as estimated from
gold items (Dawid-Skene one-coin, Beta prior centred on the study's eps_prior).

Gold scoring: every round answered on a gold item is one judgement whose right answer is the option
showing the gold program's output on that database (or "none" when no option does). That is more
informative than scoring the final label, which is also recorded (label == gold by canonical SQL or
by equal outputs on every database shown) for the researcher.
"""

from __future__ import annotations

import json
import logging
import math
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotate import queue
from annotate.apel.models import ApelDatabase, ApelLabel
from annotate.models import Assignment, Item, Response, Study, log_event
from annotate.uploads import UploadRefused, problem
from ml.apel.annotators import Judgement, estimate_error_rates
from ml.apel.candidates import Candidate, CandidateSet, check_sql, prepare_candidates
from ml.apel.canonical import canonical_sql
from ml.apel.display import mark_differences
from ml.apel.equivalence import canonical_output
from ml.apel.errors import ApelError
from ml.apel.execute import Database, QueryResult, Sandbox, read_database
from ml.apel.parsing import has_top_level_order, parse
from ml.apel.posterior import NONE, UNSURE, update_many
from ml.apel.schema import Schema, schema_from_ddl, schema_from_spider, schema_from_sqlite
from ml.apel.session import ApelSession, Question

log = logging.getLogger(__name__)

DEFAULT_CONFIG = {
    "tau": 0.9,
    "delta": 0.05,
    "max_rounds": 3,
    "row_budget": 16,
    "eps_prior": 0.1,
    "mode": "list",
    "neighbour_mass": 0.0,
}
OTHER_MASS = 0.02  # the engine's default mass for "a right program nobody proposed"
PRIOR_STRENGTH = 10.0  # Beta(eps_prior * 10, (1 - eps_prior) * 10): worth ten gold answers
SQLITE_MAGIC = b"SQLite format 3\x00"


ApelImportError = UploadRefused  # the name this module's callers and tests use


class ApelServiceError(Exception):
    """An annotation request that cannot be served; the message is for the annotator."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _problem(line: int | None, message: str, field: str = "utterances") -> dict[str, Any]:
    return problem(line, message, field)


# ----- configuration


def study_config(study: Study) -> dict[str, Any]:
    return {**DEFAULT_CONFIG, **{k: v for k, v in (study.config or {}).items() if k in DEFAULT_CONFIG}}


def validate_config(raw: Any) -> dict[str, Any]:
    if raw is None or raw == "":
        return dict(DEFAULT_CONFIG)
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError as e:
            raise ApelImportError([_problem(None, f"config is not JSON: {e}", "config")]) from None
    if not isinstance(raw, dict):
        raise ApelImportError([_problem(None, "config must be a JSON object", "config")])
    unknown = sorted(set(raw) - set(DEFAULT_CONFIG))
    if unknown:
        raise ApelImportError([_problem(None, f"unknown config keys: {', '.join(unknown)}", "config")])
    cfg = {**DEFAULT_CONFIG, **raw}
    checks = [
        ("tau", lambda v: _num(v) and 0 < v <= 1, "a number in (0, 1]"),
        ("delta", lambda v: _num(v) and v >= 0, "a number >= 0"),
        ("max_rounds", lambda v: _int(v) and 1 <= v <= 20, "an integer from 1 to 20"),
        ("row_budget", lambda v: _int(v) and 1 <= v <= 200, "an integer from 1 to 200"),
        ("eps_prior", lambda v: _num(v) and 0 < v < 1, "a number in (0, 1)"),
        ("mode", lambda v: v in ("list", "set", "multiset"), "list, set or multiset"),
        ("neighbour_mass", lambda v: _num(v) and 0 <= v < 1, "a number in [0, 1)"),
    ]
    problems = [
        _problem(None, f"config {key} must be {want}, got {cfg[key]!r}", "config")
        for key, ok, want in checks
        if not ok(cfg[key])
    ]
    if problems:
        raise ApelImportError(problems)
    return cfg


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ----- schemas


@dataclass
class SchemaSource:
    db_id: str
    schema: Schema
    sqlite: bytes | None = None


def schema_from_sqlite_bytes(data: bytes, db_id: str = "") -> Schema:
    if not data.startswith(SQLITE_MAGIC):
        raise ApelError("the schema file is not a SQLite database")
    with tempfile.NamedTemporaryFile(suffix=".sqlite") as f:
        f.write(data)
        f.flush()
        schema = schema_from_sqlite(f.name)
    if not schema.tables:
        raise ApelError("the SQLite database has no tables")
    schema.name = db_id
    return schema


def original_database(data: bytes | memoryview | None, schema: Schema) -> Database | None:
    """Every row of the uploaded SQLite file (the "original database"), or None."""
    if not data:
        return None
    with tempfile.NamedTemporaryFile(suffix=".sqlite") as f:
        f.write(bytes(data))
        f.flush()
        return read_database(f.name, schema)


def read_schemas(
    *,
    sqlite: bytes | dict[str, bytes] | None = None,
    ddl: str | None = None,
    spider: dict | list | None = None,
    db_id: str = "",
) -> list[SchemaSource]:
    """The study's schemas from one kind of source. Raises ApelImportError naming the problem."""
    given = [s for s in (sqlite, ddl, spider) if s]
    if len(given) != 1:
        raise ApelImportError(
            [
                _problem(
                    None, "give exactly one schema: a SQLite file, DDL text or a Spider tables.json", "schema"
                )
            ]
        )
    try:
        if sqlite:
            files = sqlite if isinstance(sqlite, dict) else {db_id or "main": sqlite}
            return [SchemaSource(k, schema_from_sqlite_bytes(v, k), bytes(v)) for k, v in files.items()]
        if ddl:
            return [SchemaSource(db_id or "main", schema_from_ddl(ddl, db_id or "main"))]
        entries = spider if isinstance(spider, list) else [spider]
        out = []
        for i, entry in enumerate(entries):
            schema = schema_from_spider(entry)
            name = schema.name or db_id or f"db{i + 1}"
            if not schema.tables:
                raise ApelError(f"{name}: no tables")
            out.append(SchemaSource(name, schema))
        return out
    except ApelError as e:
        raise ApelImportError([_problem(None, f"bad schema: {e}", "schema")]) from None


def schema_kwargs_from_upload(data: bytes, filename: str = "") -> dict[str, Any]:
    """Which create_apel_study argument an uploaded schema file is: SQLite, Spider JSON or DDL."""
    if data.startswith(SQLITE_MAGIC):
        return {"sqlite": data}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApelImportError(
            [_problem(None, "the schema file is neither SQLite nor UTF-8 text", "schema")]
        ) from None
    if filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        try:
            return {"spider": json.loads(text)}
        except ValueError as e:
            raise ApelImportError([_problem(None, f"the tables.json is not JSON: {e}", "schema")]) from None
    return {"ddl": text}


# ----- import


def parse_utterances(text: str | bytes) -> list[tuple[int, Any]]:
    """(line number, parsed JSON) per non-blank line; raises naming every bad line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApelImportError([_problem(None, "the utterances file is not UTF-8 text")]) from None
    records, problems = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((n, json.loads(line)))
        except ValueError as e:
            problems.append(_problem(n, f"not valid JSON ({e.msg})"))
    if problems:
        raise ApelImportError(problems)
    if not records:
        raise ApelImportError([_problem(None, "the utterances file is empty")])
    return records


def _candidate_pairs(raw: Any) -> list[tuple[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ApelError('"candidates" must be a non-empty list of {"sql", "weight"} or [sql, weight]')
    pairs = []
    for c in raw:
        if isinstance(c, dict) and isinstance(c.get("sql"), str):
            pairs.append((c["sql"], c.get("weight", 1.0)))
        elif isinstance(c, list | tuple) and len(c) == 2 and isinstance(c[0], str):
            pairs.append((c[0], c[1]))
        elif isinstance(c, str):
            pairs.append((c, 1.0))
        else:
            raise ApelError(f"bad candidate {c!r}: use {{'sql': ..., 'weight': ...}} or [sql, weight]")
    return pairs


@dataclass
class PreparedItem:
    line: int
    external_id: str
    payload: dict[str, Any]
    reference_sql: str
    is_gold: bool


def prepare_item(
    line: int, record: Any, sources: dict[str, SchemaSource], originals: dict, cfg: dict
) -> PreparedItem:
    """Validate one utterance and prepare (validate, widen, merge) its candidates once, at import,
    so each request only synthesizes a database. Raises ApelError with the reason."""
    if not isinstance(record, dict):
        raise ApelError("each line must be a JSON object")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ApelError('"question" must be non-empty text')
    ext = record.get("id", line)
    if not isinstance(ext, str | int) or isinstance(ext, bool) or not str(ext).strip() or len(str(ext)) > 200:
        raise ApelError('"id" must be a short string or number')
    db_id = record.get("db_id")
    if db_id is None and len(sources) == 1:
        db_id = next(iter(sources))
    if db_id not in sources:
        raise ApelError(f"unknown db_id {db_id!r}; known: {', '.join(sorted(sources))}")
    schema = sources[db_id].schema
    is_gold = record.get("is_gold", False)
    if not isinstance(is_gold, bool):
        raise ApelError('"is_gold" must be true or false')
    gold_sql = record.get("gold_sql") or ""
    if not isinstance(gold_sql, str):
        raise ApelError('"gold_sql" must be text')
    if is_gold and not gold_sql:
        raise ApelError('a gold item needs "gold_sql"')
    if gold_sql:
        try:
            check_sql(gold_sql, schema)
        except ApelError as e:
            raise ApelError(f"gold_sql: {e}") from None
    prepared = prepare_candidates(
        _candidate_pairs(record.get("candidates")),
        schema,
        neighbour_mass=cfg["neighbour_mass"],
        original_db=originals.get(db_id),
        mode=cfg["mode"],
        seed=line,
    )
    if not prepared.candidates:
        reasons = "; ".join(f"{r.sql!r}: {r.reason}" for r in prepared.rejected)
        raise ApelError(f"no usable candidate ({reasons})")
    payload = {
        "question": question.strip(),
        "db_id": db_id,
        "candidates": [
            {"sql": c.sql, "weight": c.weight, "origin": c.origin, "aliases": c.aliases}
            for c in prepared.candidates
        ],
        "rejected": [{"sql": r.sql, "reason": r.reason} for r in prepared.rejected],
    }
    if isinstance(record.get("note"), str):
        payload["note"] = record["note"]
    return PreparedItem(line, str(ext).strip(), payload, gold_sql, is_gold)


def import_utterances(study: Study, records: list[tuple[int, Any]], *, actor=None) -> int:
    """Validate every line, then write all items (and their empty labels) in one transaction."""
    cfg = study_config(study)
    dbs = {d.db_id: d for d in ApelDatabase.objects.filter(study=study)}
    sources = {k: SchemaSource(k, Schema.from_dict(d.schema)) for k, d in dbs.items()}
    return _import(study, records, sources, cfg, dbs, actor)


def _import(study, records, sources, cfg, dbs, actor) -> int:
    originals = {}
    for k, d in dbs.items():
        try:
            originals[k] = original_database(d.sqlite, sources[k].schema)
        except ApelError as e:
            raise ApelImportError([_problem(None, f"bad schema {k}: {e}", "schema")]) from None
    taken = set(Item.objects.filter(study=study).values_list("external_id", flat=True))
    items, problems = [], []
    for line, record in records:
        try:
            item = prepare_item(line, record, sources, originals, cfg)
        except ApelError as e:
            problems.append(_problem(line, str(e)))
            continue
        if item.external_id in taken:
            problems.append(_problem(line, f"duplicate id {item.external_id!r}"))
            continue
        taken.add(item.external_id)
        items.append(item)
    if problems:
        raise ApelImportError(problems)
    with transaction.atomic():
        for p in items:
            row = Item.objects.create(
                study=study,
                external_id=p.external_id,
                payload=p.payload,
                is_gold=p.is_gold,
                gold_answer={"sql": p.reference_sql} if p.is_gold else None,
            )
            ApelLabel.objects.create(
                item=row, reference_sql=p.reference_sql, candidates=p.payload["candidates"]
            )
        log_event("apel.imported", actor=actor, study=study, obj=study, items=len(items))
    return len(items)


def create_apel_study(
    owner,
    name: str,
    *,
    utterances: str | bytes | list[tuple[int, Any]],
    sqlite: bytes | dict[str, bytes] | None = None,
    ddl: str | None = None,
    spider: dict | list | None = None,
    db_id: str = "",
    config: Any = None,
    **study_fields: Any,
) -> Study:
    """Create an APEL study with its schemas and utterances, all or nothing: everything is validated
    first (config, schema, every line) and written in one transaction. Raises ApelImportError."""
    cfg = validate_config(config)
    sources = read_schemas(sqlite=sqlite, ddl=ddl, spider=spider, db_id=db_id)
    records = utterances if isinstance(utterances, list) else parse_utterances(utterances)
    if not name or not str(name).strip():
        raise ApelImportError([_problem(None, "the study needs a name", "name")])
    with transaction.atomic():
        study = Study.objects.create(
            name=name.strip(), kind=Study.Kind.APEL, owner=owner, config=cfg, **study_fields
        )
        dbs = {
            s.db_id: ApelDatabase.objects.create(
                study=study, db_id=s.db_id, schema=s.schema.to_dict(), sqlite=s.sqlite
            )
            for s in sources
        }
        by_id = {s.db_id: s for s in sources}
        _import(study, records, by_id, cfg, dbs, owner)  # raises before commit: the study goes too
        log_event("study.created", actor=owner, study=study, obj=study, kind="apel")
    return study


def create_from_upload(
    owner,
    name: str,
    *,
    utterances: bytes,
    schema_file: tuple[bytes, str] | None = None,
    ddl: str = "",
    **fields: Any,
) -> Study:
    """The API's and the web form's shared path: a schema file (SQLite, DDL or Spider tables.json, told
    apart by content) or DDL text, plus an utterances JSONL. Raises ApelImportError."""
    schema_kwargs: dict[str, Any] = {}  # neither given: create_apel_study says a schema is needed
    if schema_file is not None:
        schema_kwargs = schema_kwargs_from_upload(*schema_file)
    elif ddl.strip():
        schema_kwargs = {"ddl": ddl}
    return create_apel_study(owner, name, utterances=utterances, **schema_kwargs, **fields)


# ----- annotators' error rates


def _correct_choice(schema: Schema, gold_sql: str, database: Database, option_keys: list[str], mode: str):
    """The option showing the gold program's output on this database, or "none"."""
    with Sandbox(schema) as box:
        box.load(database)
        result = box.try_run(gold_sql)
    if not isinstance(result, QueryResult):
        return NONE
    key = canonical_output(result.rows, ordered=has_top_level_order(parse(gold_sql, schema)), mode=mode)
    return next((i for i, k in enumerate(option_keys) if k == key), NONE)


def gold_judgements(study: Study) -> list[Judgement]:
    """Every round answered on a finished gold assignment, with its right answer."""
    out = []
    cfg = study_config(study)
    assignments = Assignment.objects.filter(
        study=study, item__is_gold=True, status=Assignment.Status.DONE
    ).select_related("item")
    schemas: dict[str, Schema] = {}
    for a in assignments:
        gold = (a.item.gold_answer or {}).get("sql")
        db_id = a.item.payload.get("db_id")
        if not gold:
            continue
        if db_id not in schemas:
            row = ApelDatabase.objects.filter(study=study, db_id=db_id).first()
            if row is None:
                continue
            schemas[db_id] = Schema.from_dict(row.schema)
        for h in a.state.get("history", []):
            keys = [o["key"] for o in h["options"]]
            try:
                right = _correct_choice(schemas[db_id], gold, h["database"], keys, cfg["mode"])
            except ApelError:
                continue
            out.append(
                Judgement(str(a.annotator_id), f"{a.pk}:{h['round']}", h["choice"], len(keys) + 1, right)
            )
    return out


def error_rates(study: Study) -> dict[str, float]:
    """eps per annotator id (as text); annotators without gold answers are absent (use the prior)."""
    prior = study_config(study)["eps_prior"]
    judgements = gold_judgements(study)
    if not judgements:
        return {}
    return estimate_error_rates(judgements, alpha=prior * PRIOR_STRENGTH, beta=(1 - prior) * PRIOR_STRENGTH)


def annotator_eps(study: Study, user_id: int, rates: dict[str, float] | None = None) -> float:
    rates = error_rates(study) if rates is None else rates
    return rates.get(str(user_id), study_config(study)["eps_prior"])


# ----- one annotator's session


def _schema_for(item: Item) -> tuple[ApelDatabase, Schema]:
    row = ApelDatabase.objects.filter(study_id=item.study_id, db_id=item.payload.get("db_id")).first()
    if row is None:
        raise ApelServiceError("This utterance's schema is missing; tell the study's owner.", 500)
    return row, Schema.from_dict(row.schema)


def _candidate_set(item: Item) -> CandidateSet:
    cands = [
        Candidate(c["sql"], float(c["weight"]), c.get("origin", "user"), list(c.get("aliases", [])))
        for c in item.payload.get("candidates", [])
    ]
    return CandidateSet(cands, [])


def _engine(fn, *args, **kwargs):
    """Run an engine call; any failure becomes a readable ApelServiceError (never a 500 page)."""
    try:
        return fn(*args, **kwargs)
    except ApelError as e:
        raise ApelServiceError(f"The APEL engine could not handle this utterance: {e}") from None
    except Exception as e:  # the engine is research code; a weird schema must not take the page down
        log.exception("APEL engine failure")
        raise ApelServiceError(f"The APEL engine failed on this utterance ({type(e).__name__}).") from None


def load_session(assignment: Assignment) -> ApelSession:
    """Resume the session stored on the assignment, or start one (not saved here)."""
    if assignment.state.get("session"):
        return ApelSession.from_dict(assignment.state["session"])
    study = assignment.study
    cfg = study_config(study)
    row, schema = _schema_for(assignment.item)
    eps = annotator_eps(study, assignment.annotator_id)
    original = _engine(original_database, row.sqlite, schema)
    session = _engine(
        ApelSession.start,
        schema,
        _candidate_set(assignment.item),
        eps=eps,
        tau=cfg["tau"],
        delta=cfg["delta"],
        max_rounds=cfg["max_rounds"],
        row_budget=cfg["row_budget"],
        seed=assignment.pk,  # replays identically; differs between annotators of the same item
        original_db=original,
        mode=cfg["mode"],
        other_mass=OTHER_MASS,
    )
    assignment.state = {"session": session.to_dict(), "history": [], "eps": eps}
    return session


def displayed_order(assignment_id: int, round_no: int, n_options: int) -> list[int]:
    """Engine option indices in the order shown: shuffled per (assignment, round), stable on reload."""
    order = list(range(n_options))
    random.Random(f"apel:{assignment_id}:{round_no}").shuffle(order)
    return order


@dataclass
class Step:
    """What the annotator sees now: a question (with its display), or a finished session."""

    assignment: Assignment
    session: ApelSession
    question: Question | None

    @property
    def round(self) -> int:
        return self.session.rounds + 1

    @property
    def done(self) -> bool:
        return self.question is None


def _advance(assignment: Assignment, session: ApelSession) -> Question | None:
    question = _engine(session.next_question)
    served = dict(assignment.state.get("served", {}))
    if question is not None and question.id not in served:
        served[question.id] = timezone.now().isoformat()  # the Response's served_at for this round
    assignment.state = {**assignment.state, "session": session.to_dict(), "served": served}
    return question


def current_step(assignment: Assignment) -> Step:
    """The pending question of this assignment (synthesizing one if needed), saved to its state."""
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update().select_related("item", "study").get(pk=assignment.pk)
        )
        session = load_session(assignment)
        question = None if assignment.status == Assignment.Status.DONE else _advance(assignment, session)
        assignment.save(update_fields=["state"])
        if question is None and assignment.status == Assignment.Status.ACTIVE:
            # Nothing worth asking (confident from the prior, or no informative database): finish
            # without a response; the label still counts this session's (empty) evidence.
            queue.complete(assignment)
            finish_item(assignment)
    return Step(assignment, session, question)


def next_step(study: Study, user) -> Step | None:
    """The annotator's open question in this study, claiming assignments as needed; None when done."""
    for _ in range(50):  # sessions that need no question are completed and skipped
        assignment = queue.next_assignment(study, user)
        if assignment is None:
            return None
        step = current_step(assignment)
        if step.question is not None:
            return step
    return None


@dataclass
class AnswerResult:
    step: Step  # after the answer: the next question of this session, or done
    created: bool  # False for a retried round (nothing changed)
    posterior: list[float]
    other_mass: float


def answer(
    assignment_id: int,
    user,
    choice: int | str,
    *,
    question_id: str | None = None,
    active_time_ms: int | None = None,
    served_at=None,
    client: dict | None = None,
) -> AnswerResult:
    """Record one answer: `choice` is the 0-based position of the option as displayed, "none" or
    "unsure". Locks the assignment; a retry of an answered question changes nothing."""
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("item", "study")
            .filter(pk=assignment_id, annotator_id=user.pk)
            .first()
        )
        if assignment is None or assignment.study.kind != Study.Kind.APEL:
            raise ApelServiceError("No such assignment.", 404)
        session = load_session(assignment)
        history = assignment.state.get("history", [])
        if question_id is not None and any(h["question"] == question_id for h in history):
            return _retry(assignment, session)  # this round was already recorded
        if assignment.status == Assignment.Status.DONE:
            return _retry(assignment, session)
        pending = session.pending
        if pending is None:
            raise ApelServiceError("There is no question waiting for an answer; reload the page.")
        if question_id is not None and question_id != pending["id"]:
            raise ApelServiceError("That question is no longer current; reload the page.")
        round_no = session.rounds + 1
        order = displayed_order(assignment.pk, round_no, len(pending["options"]))
        if choice in (NONE, UNSURE):
            engine_choice: int | str = choice
        elif _int(choice) and 0 <= choice < len(order):
            engine_choice = order[choice]
        else:
            raise ApelServiceError(f"Pick an option from 1 to {len(order)}, none or not sure.", 400)
        _engine(session.answer, engine_choice, annotator=str(user.pk))
        history.append(
            {
                "round": round_no,
                "question": pending["id"],
                "tables": pending["tables"],
                "database": pending["database"],
                "options": [
                    {
                        "candidates": o["candidates"],
                        "columns": o["columns"],
                        "rows": o["rows"],
                        "key": o["key"],
                    }
                    for o in pending["options"]
                ],
                "displayed_order": order,
                "choice": engine_choice,
                "info_gain": pending["info_gain"],
                "tie": pending["tie"],
                "posterior": session.posterior,
                "other_mass": session.other_mass,
            }
        )
        question = None if session.done else _advance(assignment, session)
        assignment.state = {**assignment.state, "session": session.to_dict(), "history": history}
        assignment.save(update_fields=["state"])
        queue.submit(
            assignment.pk,
            user,
            {
                "choice": engine_choice,
                "question": pending["id"],
                "option_candidates": [o["candidates"] for o in pending["options"]],
                "shown_position": choice,
            },
            round=round_no,
            displayed_order=order,
            active_time_ms=active_time_ms,
            served_at=served_at or _served_at(assignment, pending["id"]),
            client=client,
            finish=session.done,
        )
        if session.done:
            assignment.refresh_from_db()
            finish_item(assignment)
        return AnswerResult(Step(assignment, session, question), True, session.posterior, session.other_mass)


def _served_at(assignment: Assignment, question_id: str):
    stamp = assignment.state.get("served", {}).get(question_id)
    return datetime.fromisoformat(stamp) if stamp else None


def _retry(assignment: Assignment, session: ApelSession) -> AnswerResult:
    question = None if session.done or session.pending is None else session.next_question()
    return AnswerResult(Step(assignment, session, question), False, session.posterior, session.other_mass)


# ----- the combined label


def finish_item(assignment: Assignment) -> None:
    """A session ended: score it against gold, then refresh the labels it affects."""
    item = assignment.item
    session = ApelSession.from_dict(assignment.state["session"])
    state = {**assignment.state, "label": session.label, "stop_reason": session.stop_reason}
    gold = (item.gold_answer or {}).get("sql") if item.is_gold else None
    if gold:
        state["gold_correct"] = _same_program(session.schema, session.label, gold, state.get("history", []))
    Assignment.objects.filter(pk=assignment.pk).update(state=state)
    assignment.state = state
    if item.is_gold:
        # This annotator's error rate moved: refresh every label they contributed to.
        ids = Assignment.objects.filter(
            study=item.study_id, annotator=assignment.annotator_id, status=Assignment.Status.DONE
        ).values_list("item_id", flat=True)
        rates = error_rates(item.study)
        for other in Item.objects.filter(pk__in=set(ids) | {item.pk}):
            recompute_label(other, rates)
    else:
        recompute_label(item)


def _same_program(schema: Schema, label: str, gold: str, history: list[dict]) -> bool:
    """label == gold by canonical SQL, or by equal outputs on every database shown."""
    try:
        if canonical_sql(label, schema) == canonical_sql(gold, schema):
            return True
        if not history:
            return False
        mode = "list"
        with Sandbox(schema) as box:
            for h in history:
                box.load(h["database"])
                a, b = box.try_run(label), box.try_run(gold)
                if not (isinstance(a, QueryResult) and isinstance(b, QueryResult)):
                    return False
                ka = canonical_output(a.rows, ordered=has_top_level_order(parse(label, schema)), mode=mode)
                kb = canonical_output(b.rows, ordered=has_top_level_order(parse(gold, schema)), mode=mode)
                if ka != kb:
                    return False
        return True
    except ApelError:
        return False


def recompute_label(item: Item, rates: dict[str, float] | None = None) -> ApelLabel:
    """One posterior from the prior and every finished annotator's answers, each with their own eps."""
    study = item.study
    rates = error_rates(study) if rates is None else rates
    candidates = item.payload.get("candidates", [])
    total = sum(c["weight"] for c in candidates) or 1.0
    post = [(1 - OTHER_MASS) * c["weight"] / total for c in candidates] + [OTHER_MASS]
    evidence, stops = [], []
    done = (
        Assignment.objects.filter(item=item, status=Assignment.Status.DONE)
        .select_related("annotator")
        .order_by("completed_at", "pk")
    )
    for a in done:
        eps = annotator_eps(study, a.annotator_id, rates)
        rounds = []
        for h in a.state.get("history", []):
            k = len(h["options"]) + 1
            option_of = [k - 1] * (len(candidates) + 1)  # unlisted candidates and "other": none
            for o, group in enumerate(h["options"]):
                for i in group["candidates"]:
                    option_of[i] = o
            post = update_many(post, option_of, [(h["choice"], eps)], k)
            rounds.append({**h, "combined_posterior": post[:-1]})
        stops.append(a.state.get("stop_reason"))
        evidence.append(
            {
                "annotator": a.annotator.get_username(),
                "annotator_id": a.annotator_id,
                "assignment": a.pk,
                "eps": eps,
                "label": a.state.get("label"),
                "stop_reason": a.state.get("stop_reason"),
                "gold_correct": a.state.get("gold_correct"),
                "rounds": rounds,
            }
        )
    top = max(range(len(candidates)), key=lambda i: post[i]) if candidates else None
    label, _ = ApelLabel.objects.update_or_create(
        item=item,
        defaults={
            "label_sql": candidates[top]["sql"] if top is not None and evidence else "",
            "confidence": post[top] if top is not None and evidence else None,
            "posterior": post[:-1],
            "other_mass": post[-1],
            "candidates": candidates,
            "n_annotators": len(evidence),
            "stop_reasons": stops,
            "evidence": evidence,
        },
    )
    return label


# ----- researcher views of the data


def utterance_rows(study: Study) -> list[dict[str, Any]]:
    labels = {lab.item_id: lab for lab in ApelLabel.objects.filter(item__study=study)}
    rows = []
    for item in Item.objects.filter(study=study).order_by("id"):
        lab = labels.get(item.pk)
        rows.append(
            {
                "item": item,
                "question": item.payload.get("question", ""),
                "db_id": item.payload.get("db_id", ""),
                "n_candidates": len(item.payload.get("candidates", [])),
                "label": lab,
                "status": "labelled"
                if lab and lab.n_annotators
                else ("in progress" if item.n_assigned else "open"),
                "correct": (
                    None
                    if not (lab and lab.label_sql and lab.reference_sql)
                    else canonical_sql(lab.label_sql) == canonical_sql(lab.reference_sql)
                ),
            }
        )
    return rows


def item_history(item: Item) -> dict[str, Any]:
    """Every database shown to each annotator (finished or not) with their answer and posteriors."""
    label = ApelLabel.objects.filter(item=item).first()
    annotators = []
    for a in Assignment.objects.filter(item=item).select_related("annotator").order_by("served_at", "pk"):
        rounds = []
        for h in a.state.get("history", []):
            rounds.append({**h, "choice_label": _choice_label(h["choice"], h["displayed_order"])})
        annotators.append(
            {
                "annotator": a.annotator.get_username(),
                "assignment": a.pk,
                "status": a.status,
                "eps": a.state.get("eps"),
                "label": a.state.get("label"),
                "stop_reason": a.state.get("stop_reason"),
                "gold_correct": a.state.get("gold_correct"),
                "rounds": rounds,
            }
        )
    return {"item": item, "label": label, "annotators": annotators}


def _choice_label(choice: int | str, order: list[int]) -> str:
    if choice == NONE:
        return "none of these"
    if choice == UNSURE:
        return "not sure"
    return f"output {order.index(choice) + 1} as shown (engine option {choice})"


def export_label_lines(study: Study) -> Iterator[str]:
    """One JSON line per utterance: the label, its confidence and all the evidence."""
    labels = {lab.item_id: lab for lab in ApelLabel.objects.filter(item__study=study)}
    for item in Item.objects.filter(study=study).order_by("id").iterator():
        lab = labels.get(item.pk)
        yield (
            json.dumps(
                {
                    "id": item.external_id,
                    "question": item.payload.get("question"),
                    "db_id": item.payload.get("db_id"),
                    "is_gold": item.is_gold,
                    "reference_sql": lab.reference_sql if lab else "",
                    "label_sql": lab.label_sql if lab else "",
                    "confidence": lab.confidence if lab else None,
                    "other_mass": lab.other_mass if lab else None,
                    "candidates": [
                        {**c, "posterior": (lab.posterior[i] if lab and i < len(lab.posterior) else None)}
                        for i, c in enumerate(item.payload.get("candidates", []))
                    ],
                    "n_annotators": lab.n_annotators if lab else 0,
                    "stop_reasons": lab.stop_reasons if lab else [],
                    "evidence": lab.evidence if lab else [],
                },
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )


# ----- what the templates and the API show


def question_view(step: Step) -> dict[str, Any] | None:
    """The pending question in display order, with differing rows and cells marked."""
    q = step.question
    if q is None:
        return None
    order = displayed_order(step.assignment.pk, step.round, len(q.options))
    shown = [q.options[i] for i in order]
    marks = mark_differences([o.rows for o in shown])
    options = []
    for pos, (o, m) in enumerate(zip(shown, marks, strict=True)):
        options.append(
            {
                "position": pos,
                "key": str(pos + 1) if pos < 9 else "",
                "columns": o.columns,
                "rows": [
                    {"cells": list(zip(row, m["cells"][r], strict=True)), "diff": m["rows"][r]}
                    for r, row in enumerate(o.rows)
                ],
                "empty": not o.rows,
            }
        )
    return {
        "assignment": step.assignment.pk,
        "question": q.id,
        "round": step.round,
        "utterance": step.assignment.item.payload.get("question", ""),
        "tables": [{"name": n, **t} for n, t in q.tables.items()],
        "options": options,
        "displayed_order": order,
        "info_gain": q.info_gain,
        "rows_shown": q.rows_shown,
        "tie": q.tie,
    }


def posterior_bars(session: ApelSession) -> list[dict[str, Any]]:
    bars = [
        {"index": i, "sql": c.sql, "p": p, "percent": round(100 * p, 1)}
        for i, (c, p) in enumerate(zip(session.candidates, session.posterior, strict=True))
    ]
    bars.append(
        {
            "index": None,
            "sql": "(some other program)",
            "p": session.other_mass,
            "percent": round(100 * session.other_mass, 1),
        }
    )
    return bars


def responses_for(assignment: Assignment) -> int:
    return Response.objects.filter(assignment=assignment).count()
