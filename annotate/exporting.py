"""Item and response export as JSONL or CSV, streamed row by row.

Items export in the shape the importer reads, so an export can be imported into another study. In CSV
each payload key becomes a column (the importer puts every non-reserved column back into the payload);
a non-text value is written as JSON, since CSV itself only holds text.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from annotate.models import Item, Response, Study

FORMATS = ("jsonl", "csv")
CONTENT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
ITEM_FIELDS = ["external_id", "is_gold", "gold_answer"]
RESPONSE_FIELDS = [
    "id",
    "study",
    "item",
    "item_external_id",
    "is_gold",
    "assignment",
    "annotator",
    "annotator_username",
    "round",
    "answer",
    "displayed_order",
    "served_at",
    "submitted_at",
    "active_time_ms",
    "client",
]


def item_rows(study: Study) -> Iterator[dict]:
    for item in Item.objects.filter(study=study).order_by("id").iterator(chunk_size=2000):
        yield {
            "external_id": item.external_id,
            "is_gold": item.is_gold,
            "gold_answer": item.gold_answer,
            "payload": item.payload,
        }


def response_rows(study: Study) -> Iterator[dict]:
    responses = (
        Response.objects.filter(study=study)
        .select_related("item", "annotator")
        .order_by("submitted_at", "id")
        .iterator(chunk_size=2000)
    )
    for r in responses:
        yield {
            "id": r.pk,
            "study": r.study_id,
            "item": r.item_id,
            "item_external_id": r.item.external_id,
            "is_gold": r.item.is_gold,
            "assignment": r.assignment_id,
            "annotator": r.annotator_id,
            "annotator_username": r.annotator.get_username(),
            "round": r.round,
            "answer": r.answer,
            "displayed_order": r.displayed_order,
            "served_at": r.served_at.isoformat(),
            "submitted_at": r.submitted_at.isoformat(),
            "active_time_ms": r.active_time_ms,
            "client": r.client,
        }


def to_jsonl(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n"


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    # bools as true/false (which the importer reads back), structures as JSON
    return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


def to_csv(rows: Iterable[dict], fieldnames: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(fieldnames)
    yield flush()
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in fieldnames])
        yield flush()


def payload_columns(study: Study) -> list[str]:
    """Every payload key in the study, in first-seen order, except those that clash with ours."""
    seen: dict[str, None] = {}
    for payload in Item.objects.filter(study=study).order_by("id").values_list("payload", flat=True):
        for key in payload if isinstance(payload, dict) else ():
            if key not in ITEM_FIELDS:
                seen.setdefault(key, None)
    return list(seen)


def export_items(study: Study, fmt: str) -> Iterator[str]:
    """The study's items as JSONL ({external_id, is_gold, gold_answer, payload}) or flat CSV."""
    if fmt == "jsonl":
        return to_jsonl(item_rows(study))
    columns = payload_columns(study)
    flat = ({**{k: v for k, v in row["payload"].items() if k in columns}, **row} for row in item_rows(study))
    return to_csv(flat, ITEM_FIELDS + columns)


def export_responses(study: Study, fmt: str) -> Iterator[str]:
    rows = response_rows(study)
    return to_jsonl(rows) if fmt == "jsonl" else to_csv(rows, RESPONSE_FIELDS)


def filename(study: Study, what: str, fmt: str) -> str:
    return f"study-{study.pk}-{what}.{fmt}"
