"""Bulk item import from JSONL, CSV or an already-parsed JSON list.

All or nothing: every record is parsed and checked first, and only a clean batch is written, in one
transaction. Each problem names the line (or record) it came from so a researcher can fix the file.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db import IntegrityError, transaction

from annotate.interfaces import has_own_submit
from annotate.models import Item, Study, log_event

MAX_PROBLEMS = 20  # enough to fix a file in one go, short enough to read
EXTERNAL_ID_MAX = Item._meta.get_field("external_id").max_length
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv"}
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"", "0", "false", "no", "n", "f"}


@dataclass
class Problem:
    line: int | None  # 1-based line of the file (or record of a JSON list); None: the file as a whole
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit.capitalize()} {self.line}: {self.message}" if self.line else self.message


class ImportFailed(Exception):
    """The batch was refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    def as_dict(self) -> dict:
        return {
            "detail": str(self.problems[0]) if len(self.problems) == 1 else "Nothing was imported.",
            "errors": [{"line": p.line, "message": str(p)} for p in self.problems],
        }


@dataclass
class Record:
    line: int
    external_id: str
    payload: dict
    is_gold: bool = False
    gold_answer: Any = None
    unit: str = field(default="line", repr=False)


class _Collector:
    """Gathers problems and stops collecting after MAX_PROBLEMS."""

    def __init__(self, unit: str):
        self.unit = unit
        self.problems: list[Problem] = []

    def add(self, line: int | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, message, self.unit))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportFailed(self.problems)


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | str):
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _record(line: int, raw: Any, problems: _Collector, *, from_csv: bool = False) -> Record | None:
    """One raw object -> a Record, or None after noting what is wrong with it."""
    if not isinstance(raw, dict):
        problems.add(line, f"expected a JSON object, got {type(raw).__name__}")
        return None
    raw = dict(raw)
    external_id = raw.pop("external_id", None)
    fallback_id = raw.pop("id", None)
    if external_id in (None, ""):
        external_id = fallback_id
    elif fallback_id is not None:
        raw["id"] = fallback_id  # an explicit external_id wins; a payload "id" is kept as data
    if (
        isinstance(external_id, bool)
        or not isinstance(external_id, str | int)
        or str(external_id).strip() == ""
    ):
        problems.add(line, "missing external_id (or id)")
        return None
    external_id = str(external_id).strip()
    if len(external_id) > EXTERNAL_ID_MAX:
        problems.add(line, f"external_id is longer than {EXTERNAL_ID_MAX} characters")
        return None
    is_gold = _parse_bool(raw.pop("is_gold", False))
    if is_gold is None:
        problems.add(line, "is_gold must be true or false")
        return None
    gold_answer = raw.pop("gold_answer", None)
    if from_csv:
        if gold_answer == "":
            gold_answer = None
        elif gold_answer is not None:
            # A CSV cell holding JSON (e.g. ["a","b"]) keeps its structure; plain text stays text.
            try:
                gold_answer = json.loads(gold_answer)
            except ValueError:
                pass
    if gold_answer is None and is_gold:
        problems.add(line, "a gold item needs a gold_answer")
        return None
    if not from_csv and "payload" in raw:
        payload = raw.pop("payload")
        if not isinstance(payload, dict):
            problems.add(line, "payload must be a JSON object")
            return None
        if raw:
            problems.add(line, f"unexpected fields next to payload: {', '.join(sorted(raw))}")
            return None
    else:
        payload = raw  # every other field is the payload
    return Record(line, external_id, payload, is_gold, gold_answer)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([Problem(line, "the file is not UTF-8 text")]) from None


def parse_jsonl(text: str) -> list[Record]:
    problems = _Collector("line")
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            problems.add(number, f"invalid JSON ({exc.msg if hasattr(exc, 'msg') else exc})")
            continue
        if (record := _record(number, raw, problems)) is not None:
            records.append(record)
    problems.raise_if_any()
    return records


def parse_csv(text: str) -> list[Record]:
    problems = _Collector("line")
    records = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
        if not header:
            raise ImportFailed([Problem(None, "the file is empty")])
        if "external_id" not in header and "id" not in header:
            raise ImportFailed([Problem(1, "the header needs an external_id (or id) column")])
        if len(set(header)) != len(header):
            raise ImportFailed([Problem(1, "the header repeats a column name")])
        for row in reader:
            number = reader.line_num
            if None in row:
                problems.add(number, f"{len(header) + len(row[None])} fields, the header has {len(header)}")
                continue
            if any(value is None for value in row.values()):
                problems.add(number, f"fewer fields than the header's {len(header)}")
                continue
            if (record := _record(number, row, problems, from_csv=True)) is not None:
                records.append(record)
    except csv.Error as exc:
        problems.add(reader.line_num or 1, f"malformed CSV ({exc})")
    problems.raise_if_any()
    return records


def parse_records(raw: Iterable[Any]) -> list[Record]:
    """A JSON list (the API body): record N is its Nth element."""
    problems = _Collector("record")
    records = []
    for number, obj in enumerate(raw, start=1):
        if (record := _record(number, obj, problems)) is not None:
            record.unit = "record"
            records.append(record)
    problems.raise_if_any()
    return records


def parse_file(data: bytes, filename: str) -> list[Record]:
    """Parse an uploaded file, choosing JSONL or CSV by its extension."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in JSONL_SUFFIXES | CSV_SUFFIXES:
        raise ImportFailed(
            [Problem(None, f"unsupported file type {suffix or '(none)'!r}; upload .jsonl or .csv")]
        )
    text = _decode(data)
    if not text.strip():
        raise ImportFailed([Problem(None, "the file is empty")])
    if suffix == ".json" and text.lstrip().startswith("["):
        try:
            return parse_records(json.loads(text))
        except ValueError as exc:
            raise ImportFailed([Problem(getattr(exc, "lineno", None), "invalid JSON")]) from None
    return parse_jsonl(text) if suffix in JSONL_SUFFIXES else parse_csv(text)


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def check_duplicates(study: Study, records: list[Record]) -> None:
    """Refuse a batch that repeats an external_id, or reuses one already in the study."""
    if not records:
        raise ImportFailed([Problem(None, "no records to import")])
    problems = _Collector(records[0].unit)
    first_seen: dict[str, int] = {}
    for record in records:
        if record.external_id in first_seen:
            problems.add(
                record.line,
                f"duplicate external_id {record.external_id!r} "
                f"(first on {record.unit} {first_seen[record.external_id]})",
            )
        else:
            first_seen[record.external_id] = record.line
    existing: set[str] = set()
    for chunk in _chunks(list(first_seen)):
        existing.update(
            Item.objects.filter(study=study, external_id__in=chunk).values_list("external_id", flat=True)
        )
    for record in records:
        if record.external_id in existing and first_seen[record.external_id] == record.line:
            problems.add(record.line, f"external_id {record.external_id!r} already exists in this study")
    problems.problems.sort(key=lambda p: p.line or 0)
    problems.raise_if_any()


def import_items(study: Study, records: list[Record], actor=None) -> int:
    """Write a checked batch in one transaction; returns how many items were created."""
    if has_own_submit(study.kind):
        # Their items are built by the interface's own import (APEL prepares candidates, rating pairs outputs).
        raise ImportFailed(
            [Problem(None, f"{study.get_kind_display()} studies import through their own page or API.")]
        )
    check_duplicates(study, records)
    try:
        with transaction.atomic():
            Item.objects.bulk_create(
                [
                    Item(
                        study=study,
                        external_id=r.external_id,
                        payload=r.payload,
                        is_gold=r.is_gold,
                        gold_answer=r.gold_answer,
                    )
                    for r in records
                ],
                batch_size=500,
            )
            log_event("items.imported", actor=actor, study=study, obj=study, count=len(records))
    except IntegrityError:
        # Another import added one of these ids between our check and our write.
        raise ImportFailed(
            [Problem(None, "an external_id was imported concurrently; please retry")]
        ) from None
    return len(records)
