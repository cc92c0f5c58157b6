"""Fixtures for the APEL tests: a small schema, utterances with a gold item, and an answering helper."""

import json

import pytest

from annotate.apel import services
from annotate.models import Assignment
from ml.apel.schema import Schema
from ml.apel.session import Question
from ml.apel.simulate import SimulatedAnnotator
from tests.factories import ResearcherFactory, UserFactory

DDL = """
CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, age INTEGER);
CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, singer_id INTEGER REFERENCES singer(singer_id),
                      year INTEGER, city TEXT);
"""

UTTERANCES = [
    {
        "id": "u1",
        "question": "How many singers are older than 30?",
        "candidates": [
            {"sql": "SELECT count(*) FROM singer WHERE age > 30", "weight": 0.5},
            {"sql": "SELECT count(*) FROM singer WHERE age >= 30", "weight": 0.3},
            {"sql": "SELECT count(*) FROM singer WHERE age < 30", "weight": 0.2},
        ],
        "gold_sql": "SELECT count(*) FROM singer WHERE age > 30",
    },
    {
        "id": "u2",
        "question": "Names of singers from France.",
        "candidates": [
            ["SELECT name FROM singer WHERE country != 'France'", 0.5],
            ["SELECT name FROM singer WHERE country = 'France'", 0.4],
            ["SELECT name FROM singer", 0.1],
        ],
        "gold_sql": "SELECT name FROM singer WHERE country = 'France'",
    },
    {
        "id": "g1",
        "question": "In which cities were concerts held after 2015?",
        "candidates": [
            {"sql": "SELECT city FROM concert WHERE year > 2015", "weight": 0.4},
            {"sql": "SELECT city FROM concert WHERE year < 2015", "weight": 0.4},
            {"sql": "SELECT city FROM concert", "weight": 0.2},
        ],
        "gold_sql": "SELECT city FROM concert WHERE year > 2015",
        "is_gold": True,
    },
]


def jsonl(records) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


@pytest.fixture
def owner(db):
    return ResearcherFactory()


@pytest.fixture
def make_study(owner):
    def make(records=None, config=None, k=2, annotators=()):
        study = services.create_apel_study(
            owner,
            "APEL test",
            ddl=DDL,
            utterances=jsonl(records or UTTERANCES),
            config=config,
            annotations_per_item=k,
        )
        study.annotators.add(*annotators)
        return study

    return make


@pytest.fixture
def two_annotators(db):
    return UserFactory(username="ann_a"), UserFactory(username="ann_b")


def correct_position(assignment_id: int) -> int | str:
    """The displayed position (0-based) of the output the gold program gives, or "none"."""
    a = Assignment.objects.select_related("item").get(pk=assignment_id)
    session = a.state["session"]
    pending = {k: v for k, v in session["pending"].items() if k != "option_of"}
    question = Question.from_dict(pending)
    schema = Schema.from_dict(session["schema"])
    gold = a.item.gold_answer["sql"] if a.item.gold_answer else a.item.apel_label.reference_sql
    choice = SimulatedAnnotator(gold, schema, 0.0).correct_choice(question)
    if choice == "none":
        return "none"
    order = services.displayed_order(a.pk, session["rounds"] + 1, len(question.options))
    return order.index(choice)
