"""Reading the two corpora to compare: two files (one per group) or one file with a label column.

Formats, chosen by the file's suffix:
- JSONL (.jsonl, .ndjson, .json): one JSON value per line, an object holding the text field (and the
  label field for a single labelled file) or a bare JSON string;
- CSV (.csv, and .tsv with tabs): a header row naming the columns.

Texts are stripped and empty ones dropped. Every problem raises CorpusError with a message a person
can act on, and `argument` names the load_corpora argument at fault so a form can point at it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv")
# Label values taken as the positive group (D1) when one of the two labels is among them.
POSITIVE_LABELS = ("1", "true", "positive", "pos", "a")

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


class CorpusError(ValueError):
    """A corpus file could not be used; `argument` is "path_a", "path_b", "text_field" or "label_field"."""

    def __init__(self, message: str, argument: str = "path_a"):
        super().__init__(message)
        self.argument = argument


@dataclass(frozen=True)
class Corpora:
    positive: list[str]  # D1: the group the descriptions should hold for
    negative: list[str]  # D0
    positive_label: str | None = None  # for a single labelled file: the label value read as D1
    negative_label: str | None = None


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, with inner apostrophes: "don't")."""
    return _WORD.findall(text.lower())


def load_corpora(
    path_a: str | Path,
    path_b: str | Path | None = None,
    text_field: str = "text",
    label_field: str = "label",
) -> Corpora:
    """D1 from `path_a` and D0 from `path_b`; or, without `path_b`, both from the labelled `path_a`.

    A labelled file must hold exactly two label values. The positive one is the value among
    1 / true / positive / pos / A (compared case-insensitively as text) when exactly one of the two
    is, else the first of the two in sorted order; `Corpora.positive_label` records which.
    """
    if path_b is None:
        return _split_labelled(path_a, text_field, label_field)
    positive = _texts_only(path_a, text_field, "path_a")
    negative = _texts_only(path_b, text_field, "path_b")
    return Corpora(positive, negative)


def _texts_only(path: str | Path, text_field: str, argument: str) -> list[str]:
    texts = [text for text, _ in _read(path, text_field, None, argument)]
    if not texts:
        raise CorpusError(f"{path} holds no non-empty texts", argument)
    return texts


def _split_labelled(path: str | Path, text_field: str, label_field: str) -> Corpora:
    groups: dict[str, list[str]] = {}
    for text, label in _read(path, text_field, label_field, "path_a"):
        groups.setdefault(label, []).append(text)
    if not groups:
        raise CorpusError(f"{path} holds no non-empty texts", "path_a")
    if len(groups) == 1:
        [only] = groups
        raise CorpusError(
            f"{path} has a single class ({label_field} = {only!r} on every text); give a file with two "
            "label values, or a second corpus for the other group",
            "path_a",
        )
    if len(groups) > 2:
        found = ", ".join(repr(v) for v in sorted(groups))
        raise CorpusError(
            f"{path} has {len(groups)} values in column {label_field!r} ({found}); need exactly two",
            "path_a",
        )
    first, second = sorted(groups)
    marked = [v for v in (first, second) if v.strip().lower() in POSITIVE_LABELS]
    positive = marked[0] if len(marked) == 1 else first
    negative = second if positive == first else first
    return Corpora(groups[positive], groups[negative], positive, negative)


def _read(path: str | Path, text_field: str, label_field: str | None, argument: str):
    """Yield (text, label as str or None) for each row with a non-empty text."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CorpusError(f"no file at {path}", argument)
    if not path.is_file():
        raise CorpusError(f"{path} is not a file", argument)
    suffix = path.suffix.lower()
    if suffix not in JSONL_SUFFIXES + CSV_SUFFIXES:
        raise CorpusError(
            f"{path} has an unsupported type {suffix or '(no suffix)'!r}; give a .jsonl or .csv file",
            argument,
        )
    try:
        # utf-8-sig: spreadsheet programs often start CSV exports with a byte-order mark.
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start})", argument
        ) from None
    reader = _jsonl_rows if suffix in JSONL_SUFFIXES else _csv_rows
    for text, label in reader(raw, path, text_field, label_field, argument):
        text = text.strip()
        if text:
            yield text, label


def _jsonl_rows(raw: str, path: Path, text_field: str, label_field: str | None, argument: str):
    # Split on "\n" only: str.splitlines would also split inside strings holding U+2028 and the like.
    for number, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{path}, line {number}: not valid JSON ({error.msg})", argument) from None
        if isinstance(value, str):
            if label_field is not None:
                raise CorpusError(
                    f"{path}, line {number}: a bare string has no {label_field!r} field; a single file "
                    f"needs objects with {text_field!r} and {label_field!r}, or give a second corpus",
                    "label_field",
                )
            yield value, None
            continue
        if not isinstance(value, dict):
            raise CorpusError(
                f"{path}, line {number}: expected an object with a {text_field!r} field or a JSON string, "
                f"got {type(value).__name__}",
                argument,
            )
        found = ", ".join(repr(k) for k in value) or "none"
        if text_field not in value:
            raise CorpusError(
                f"{path}, line {number}: no {text_field!r} field (fields: {found})", "text_field"
            )
        label = None
        if label_field is not None:
            if label_field not in value or value[label_field] is None:
                raise CorpusError(
                    f"{path}, line {number}: no {label_field!r} field (fields: {found})", "label_field"
                )
            label = _label_text(value[label_field], f"{path}, line {number}", argument)
        yield _text(value[text_field], f"{path}, line {number}", argument), label


def _csv_rows(raw: str, path: Path, text_field: str, label_field: str | None, argument: str):
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=True)
    try:
        columns = reader.fieldnames
        if not columns:
            raise CorpusError(f"{path} is empty: a CSV file needs a header row", argument)
        found = ", ".join(repr(c) for c in columns)
        for name, which in ((text_field, "text_field"), (label_field, "label_field")):
            if name is not None and name not in columns:
                raise CorpusError(f"{path} has no {name!r} column (columns: {found})", which)
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            if None in row:  # more cells than header columns
                raise CorpusError(f"{where}: more cells than the {len(columns)} header columns", argument)
            label = None
            if label_field is not None:
                label = (row[label_field] or "").strip()
                if not label:
                    raise CorpusError(f"{where}: empty {label_field!r}", argument)
            yield row[text_field] or "", label
    except csv.Error as error:
        raise CorpusError(f"{path}, line {reader.line_num}: not valid CSV ({error})", argument) from None


def _text(value: Any, where: str, argument: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise CorpusError(f"{where}: the text is a {type(value).__name__}, not a string", argument)


def _label_text(value: Any, where: str, argument: str) -> str:
    # One spelling per label, so 1 and "1" (or true and "true") are the same class.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    if isinstance(value, str):
        raise CorpusError(f"{where}: empty label", argument)
    raise CorpusError(f"{where}: the label is a {type(value).__name__}, not a value", argument)
