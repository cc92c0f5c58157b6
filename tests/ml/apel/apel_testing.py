"""Data shared by the APEL tests (a plain module, since importing from conftest.py is ambiguous)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

DDL = """
CREATE TABLE singer (
  singer_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  country TEXT,
  age INTEGER,
  net_worth REAL,
  mentor_id INTEGER REFERENCES singer(singer_id)
);
CREATE TABLE concert (
  concert_id INTEGER PRIMARY KEY,
  singer_id INTEGER NOT NULL REFERENCES singer(singer_id),
  year INTEGER NOT NULL,
  venue TEXT
);
CREATE TABLE ticket (
  concert_id INTEGER NOT NULL REFERENCES concert(concert_id),
  seat TEXT NOT NULL,
  price REAL,
  PRIMARY KEY (concert_id, seat)
);
"""

ROWS = {
    "singer": [
        (1, "Alice", "France", 30, 12.5, None),
        (2, "Bob", "USA", 45, 3.0, 1),
        (3, "Carol", "France", 22, 40.0, 1),
        (4, "Dave", "Japan", 51, 7.5, 2),
    ],
    "concert": [(10, 1, 2019, "Arena"), (11, 1, 2021, "Hall"), (12, 3, 2021, "Arena"), (13, 2, 2018, "Club")],
    "ticket": [(10, "A1", 50.0), (10, "A2", 55.0), (12, "B1", 20.0)],
}

# The same schema as a Spider tables.json entry (column index 0 is the "*" pseudo-column).
SPIDER_ENTRY = {
    "db_id": "concerts",
    "table_names_original": ["singer", "concert", "ticket"],
    "table_names": ["singer", "concert", "ticket"],
    "column_names_original": [
        [-1, "*"],
        [0, "singer_id"],
        [0, "name"],
        [0, "country"],
        [0, "age"],
        [0, "net_worth"],
        [0, "mentor_id"],
        [1, "concert_id"],
        [1, "singer_id"],
        [1, "year"],
        [1, "venue"],
        [2, "concert_id"],
        [2, "seat"],
        [2, "price"],
    ],  # fmt: skip
    "column_names": [[-1, "*"]] + [[0, "x"]] * 6 + [[1, "x"]] * 4 + [[2, "x"]] * 3,
    "column_types": [
        "text",
        "number",
        "text",
        "text",
        "number",
        "number",
        "number",
        "number",
        "number",
        "number",
        "text",
        "number",
        "text",
        "number",
    ],  # fmt: skip
    "primary_keys": [1, 7, [11, 12]],
    "foreign_keys": [[6, 1], [8, 1], [11, 7]],
}

QUESTIONS = [
    ("How many singers are from France?", "SELECT count(*) FROM singer WHERE country = 'France'"),
    ("Names of singers older than 25.", "SELECT name FROM singer WHERE age > 25"),
    ("Name of the youngest singer.", "SELECT name FROM singer ORDER BY age ASC LIMIT 1"),
]


def write_db(path: Path, ddl: str = DDL, rows: dict | None = None) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(ddl)
    for table, values in (ROWS if rows is None else rows).items():
        conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    conn.commit()
    conn.close()
    return path


def tiny_lm_dir(path: Path, prompt_text: str) -> Path:
    """Save a random, untrained tiny GPT-2 with a character tokenizer covering `prompt_text`."""
    import torch

    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer

    tokenizer = char_tokenizer([prompt_text + " count(*) FROM singer WHERE age > 30;"])
    torch.manual_seed(0)
    ids = dict(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = tiny_gpt2(len(tokenizer), n_layer=1, n_embd=16, n_head=2, block_size=1024, **ids)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
