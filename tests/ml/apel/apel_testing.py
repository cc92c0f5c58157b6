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
