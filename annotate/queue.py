"""The annotation queue: least-annotated item first, k annotators per item, per-annotator caps.

Over-assignment is prevented twice: PostgreSQL rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED so
concurrent annotators take different items without waiting, and the partial unique index on
(item, slot) rejects a k+1-th live assignment on any database (SQLite serialises writers instead).
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from annotate.interfaces import has_own_submit, own_submit_kinds
from annotate.models import Assignment, Event, Item, Response, Study, log_event

_CLAIM_ATTEMPTS = 8
# Sweeping for expired assignments on every claim is wasted work under load; once every few seconds per
# study is plenty, and a claim that finds nothing always sweeps first.
_SWEEP_EVERY_S = 5.0
_last_sweep: dict[int, float] = {}


class QueueError(Exception):
    """A request the queue must refuse; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def release_expired(study: Study, now=None) -> int:
    """Expire unsubmitted assignments past their deadline, freeing their slots for other annotators."""
    now = now or timezone.now()
    released = 0
    stale = list(
        Assignment.objects.filter(
            study=study, status=Assignment.Status.ACTIVE, expires_at__lt=now
        ).values_list("pk", "item_id")
    )
    for pk, item_id in stale:
        with transaction.atomic():
            # Conditional update: a concurrent submit that got there first wins.
            if Assignment.objects.filter(pk=pk, status=Assignment.Status.ACTIVE).update(
                status=Assignment.Status.EXPIRED
            ):
                Item.objects.filter(pk=item_id).update(n_assigned=F("n_assigned") - 1)
                released += 1
    return released


def _taken_slots(item_id: int) -> set[int]:
    return set(
        Assignment.objects.filter(item_id=item_id)
        .exclude(status=Assignment.Status.EXPIRED)
        .values_list("slot", flat=True)
    )


def next_assignment(study: Study, user, now=None) -> Assignment | None:
    """The annotator's current assignment, or a newly claimed one, or None when nothing is left for them."""
    now = now or timezone.now()
    if time.monotonic() - _last_sweep.get(study.pk, -_SWEEP_EVERY_S) >= _SWEEP_EVERY_S:
        _last_sweep[study.pk] = time.monotonic()
        release_expired(study, now)
    fast = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and study.max_items_per_annotator is None
    )
    if fast:
        claimed = _resume_or_claim_in_one_statement(study, user, now)
        if claimed is not None:
            return claimed
    current = (
        Assignment.objects.filter(
            study=study, annotator=user, status=Assignment.Status.ACTIVE, expires_at__gte=now
        )
        .select_related("item")
        .order_by("served_at")
        .first()
    )
    if current:
        return current
    if study.max_items_per_annotator is not None:
        done_or_active = (
            Assignment.objects.filter(study=study, annotator=user)
            .exclude(status=Assignment.Status.EXPIRED)
            .count()
        )
        if done_or_active >= study.max_items_per_annotator:
            return None

    k = study.annotations_per_item
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                candidates = (
                    Item.objects.filter(study=study, n_assigned__lt=k)
                    .exclude(assignments__annotator=user)
                    .order_by("n_assigned", "id")
                )
                if connection.vendor == "postgresql":
                    candidates = candidates.select_for_update(skip_locked=True, of=("self",))
                item = candidates.first()
                if item is None:
                    if release_expired(study, now):
                        continue
                    return None
                # With no live assignment the first slot is free; only look when some are taken.
                free = [0] if item.n_assigned == 0 else sorted(set(range(k)) - _taken_slots(item.pk))
                if not free:
                    continue
                assignment = Assignment.objects.create(
                    study=study,
                    item=item,
                    annotator=user,
                    slot=free[0],
                    served_at=now,
                    expires_at=now + timedelta(seconds=study.assignment_timeout_s),
                )
                Item.objects.filter(pk=item.pk).update(n_assigned=F("n_assigned") + 1)
                assignment.item = item
                return assignment
        except IntegrityError:
            # Another annotator took the same slot (or this user raced themselves); try the next item.
            continue
    raise QueueError("The queue is busy; please retry.", status=503)


_CLAIM_SQL = """
WITH current AS (
    SELECT a.id, a.item_id, a.slot, a.served_at, a.expires_at FROM {assignment} a
    WHERE a.study_id = %(study)s AND a.annotator_id = %(user)s AND a.status = 'active'
      AND a.expires_at >= %(now)s
    ORDER BY a.served_at
    LIMIT 1
), picked AS (
    SELECT i.id, i.n_assigned FROM {item} i
    WHERE NOT EXISTS (SELECT 1 FROM current)
      AND i.study_id = %(study)s AND i.n_assigned < %(k)s
      AND NOT EXISTS (SELECT 1 FROM {assignment} a WHERE a.item_id = i.id AND a.annotator_id = %(user)s)
    ORDER BY i.n_assigned, i.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), bumped AS (
    UPDATE {item} SET n_assigned = {item}.n_assigned + 1 FROM picked WHERE {item}.id = picked.id
    RETURNING {item}.id, picked.n_assigned AS slot
), made AS (
    INSERT INTO {assignment} (study_id, item_id, annotator_id, slot, status, served_at, expires_at, state)
    SELECT %(study)s, bumped.id, %(user)s, bumped.slot, 'active', %(now)s, %(expires)s, '{{}}'::jsonb
    FROM bumped
    RETURNING id, item_id, slot, served_at, expires_at
)
SELECT m.id, m.item_id, i.external_id, i.payload, m.slot, m.served_at, m.expires_at, m.resumed
FROM (SELECT *, false AS resumed FROM made UNION ALL SELECT *, true FROM current) m
JOIN {item} i ON i.id = m.item_id
"""


def _one_row_or_none(sql: str, params: dict):
    """Run one of the fast-path statements. An integrity error means the fast path's guess lost a race or
    hit a gap; the caller then takes the general path, which handles every case."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except IntegrityError:
        return None


def _resume_or_claim_in_one_statement(study: Study, user, now) -> Assignment | None:
    """PostgreSQL fast path, one round trip in its own transaction: the annotator's open assignment if
    there is one, else pick, count and insert a new one.

    It takes slot = live assignments so far, which is free unless an expired assignment left a gap; then
    the unique index refuses it and the general path, which looks for the gap, takes over. None also
    when nothing is left, which the general path confirms after sweeping expired assignments.
    """
    expires = now + timedelta(seconds=study.assignment_timeout_s)
    sql = _CLAIM_SQL.format(item=Item._meta.db_table, assignment=Assignment._meta.db_table)
    params = {
        "study": study.pk,
        "k": study.annotations_per_item,
        "user": user.pk,
        "now": now,
        "expires": expires,
    }
    row = _one_row_or_none(sql, params)
    if row is None:
        return None
    pk, item_id, external_id, payload, slot, served_at, expires_at, resumed = row
    if resumed:
        # An open assignment may carry interface state between rounds: read it whole.
        return Assignment.objects.select_related("item").get(pk=pk)
    # Django reads jsonb as text and decodes it in the field, so do the same here.
    payload = Item._meta.get_field("payload").from_db_value(payload, None, connection)
    item = Item(pk=item_id, study=study, external_id=external_id, payload=payload)
    assignment = Assignment(
        pk=pk, study=study, item=item, annotator=user, slot=slot, served_at=served_at, expires_at=expires_at
    )
    assignment._state.adding = False
    return assignment


@dataclass
class Submission:
    response: Response
    created: bool


def submit(
    assignment_id: int,
    user,
    answer,
    *,
    round: int = 0,
    displayed_order=None,
    active_time_ms: int | None = None,
    served_at=None,
    client: dict | None = None,
    finish: bool = True,
    generic: bool = False,
) -> Submission:
    """Record an answer exactly once. A retry of the same (assignment, round) returns the stored response."""
    if finish and round == 0 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        refused = sorted(own_submit_kinds()) if generic else []
        response = _submit_in_one_statement(
            assignment_id, user, answer, displayed_order, active_time_ms, served_at, client, refused
        )
        if response is not None:
            return Submission(response, created=True)
    with transaction.atomic():
        # One statement locks the assignment and its item (item first in spirit: the claim only ever
        # locks items), so a submit and a claim cannot deadlock.
        assignment = (
            Assignment.objects.select_for_update(of=("self", "item"))
            .select_related("item", "study")
            .filter(pk=assignment_id, annotator_id=user.pk)
            .first()
        )
        if assignment is None:
            raise QueueError("No such assignment.", status=404)
        if generic and has_own_submit(assignment.study.kind):
            raise QueueError(
                f"Answers to {assignment.study.kind} studies go through that interface's own API."
            )
        # An active single-round assignment cannot have a response yet: skip the look-up on the hot path.
        if assignment.status != Assignment.Status.ACTIVE or round > 0 or not finish:
            existing = Response.objects.filter(assignment=assignment, round=round).first()
            if existing:
                return Submission(existing, created=False)
        if assignment.status == Assignment.Status.DONE:
            raise QueueError("This assignment is already complete.", status=409)
        if assignment.status == Assignment.Status.EXPIRED:
            _reclaim(assignment)
        response = Response.objects.create(
            study=assignment.study,
            item=assignment.item,
            assignment=assignment,
            annotator=user,
            round=round,
            answer=answer,
            displayed_order=displayed_order or [],
            served_at=served_at or assignment.served_at,
            active_time_ms=active_time_ms,
            client=client or {},
        )
        if finish:
            complete(assignment, actor=user)
        return Submission(response, created=True)


_SUBMIT_SQL = """
WITH done AS (
    UPDATE {assignment} AS a SET status = 'done', completed_at = %(now)s
    FROM {study} AS s
    WHERE a.id = %(assignment)s AND a.annotator_id = %(user)s AND a.status = 'active'
      AND s.id = a.study_id AND NOT (s.kind = ANY(%(refused)s))
    RETURNING a.id, a.item_id, a.study_id, a.served_at
), made AS (
    INSERT INTO {response} (study_id, item_id, assignment_id, annotator_id, round, answer, displayed_order,
                            served_at, submitted_at, active_time_ms, client)
    SELECT done.study_id, done.item_id, done.id, %(user)s, 0, %(answer)s, %(order)s,
           COALESCE(%(served)s, done.served_at), %(now)s, %(active)s, %(client)s
    FROM done
    RETURNING id, study_id, item_id, served_at
), counted AS (
    UPDATE {item} SET n_done = {item}.n_done + 1 FROM done WHERE {item}.id = done.item_id
), logged AS (
    INSERT INTO {event} (created_at, actor_id, study_id, verb, object_type, object_id, data)
    SELECT %(now)s, %(user)s, done.study_id, 'assignment.done', 'assignment', done.id::text, '{{}}'::jsonb
    FROM done
)
SELECT id, study_id, item_id, served_at FROM made
"""


def _submit_in_one_statement(
    assignment_id, user, answer, displayed_order, active_time_ms, served_at, client, refused
) -> Response | None:
    """PostgreSQL fast path for the common case, an active single-round assignment: complete it, store the
    response, count it and log it in one statement (one round trip, its own transaction). Anything else
    (a retry, an expired or unknown assignment, a refused kind) returns None for the general path."""
    from psycopg.types.json import Jsonb

    now = timezone.now()
    sql = _SUBMIT_SQL.format(
        assignment=Assignment._meta.db_table,
        study=Study._meta.db_table,
        response=Response._meta.db_table,
        item=Item._meta.db_table,
        event=Event._meta.db_table,
    )
    params = {
        "now": now,
        "assignment": assignment_id,
        "user": user.pk,
        "refused": refused,
        "answer": Jsonb(answer),
        "order": Jsonb(displayed_order or []),
        "served": served_at,
        "active": active_time_ms,
        "client": Jsonb(client or {}),
    }
    row = _one_row_or_none(sql, params)
    if row is None:
        return None
    pk, study_id, item_id, row_served_at = row
    response = Response(
        study_id=study_id,
        item_id=item_id,
        assignment_id=assignment_id,
        annotator=user,
        round=0,
        answer=answer,
        displayed_order=displayed_order or [],
        served_at=row_served_at,
        submitted_at=now,
        active_time_ms=active_time_ms,
        client=client or {},
    )
    response.pk = pk  # set after construction: Response.save() refuses rows that already have a pk
    response._state.adding = False
    return response


def complete(assignment: Assignment, actor=None) -> None:
    """Mark an assignment done (inside the caller's transaction)."""
    assignment.status = Assignment.Status.DONE
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["status", "completed_at", "state"])
    Item.objects.filter(pk=assignment.item_id).update(n_done=F("n_done") + 1)
    log_event("assignment.done", actor=actor or assignment.annotator, study=assignment.study, obj=assignment)


def _reclaim(assignment: Assignment) -> None:
    """A late submission for an expired assignment counts only if its slot is still free."""
    if assignment.slot in _taken_slots(assignment.item_id):
        raise QueueError("This assignment expired and its slot was given to another annotator.", status=409)
    try:
        with transaction.atomic():
            assignment.status = Assignment.Status.ACTIVE
            assignment.save(update_fields=["status"])
    except IntegrityError:
        raise QueueError(
            "This assignment expired and its slot was given to another annotator.", status=409
        ) from None
    Item.objects.filter(pk=assignment.item_id).update(n_assigned=F("n_assigned") + 1)
