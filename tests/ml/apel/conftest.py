"""Shared fixtures for the APEL tests: one small concert schema, as DDL, as a SQLite file with a
few rows, and as a Spider-format directory (tables.json, dev.json, database/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apel_testing import DDL, QUESTIONS, ROWS, SPIDER_ENTRY, write_db

from ml.apel.schema import Schema, schema_from_ddl


@pytest.fixture
def schema() -> Schema:
    return schema_from_ddl(DDL, name="concerts")


@pytest.fixture
def db_file(tmp_path) -> Path:
    return write_db(tmp_path / "concerts.sqlite")


@pytest.fixture
def original_db() -> dict[str, list[list]]:
    return {t: [list(r) for r in rows] for t, rows in ROWS.items()}


@pytest.fixture
def spider_dir(tmp_path) -> Path:
    root = tmp_path / "spider"
    (root / "database" / "concerts").mkdir(parents=True)
    write_db(root / "database" / "concerts" / "concerts.sqlite")
    (root / "tables.json").write_text(json.dumps([SPIDER_ENTRY]))
    dev = [{"db_id": "concerts", "question": q, "query": sql} for q, sql in QUESTIONS]
    (root / "dev.json").write_text(json.dumps(dev))
    return root
