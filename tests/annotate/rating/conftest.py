"""Fixtures for the rating tests: outputs from three distinctively named models (so a leaked name is
easy to spot), a study factory, and a helper that answers as a simulated rater."""

import json

import pytest
from django.test import Client

from annotate.models import Assignment
from annotate.rating import services
from tests.factories import ResearcherFactory

MODELS = ("ref-oracle-7b", "imit-lion-13b", "imit-mouse-1b")


def outputs(n_prompts: int = 6, models=MODELS, gold: bool = True, attention: bool = True) -> list[dict]:
    lines = []
    for p in range(n_prompts):
        for m in models:
            lines.append(
                {
                    "prompt_id": f"p{p}",
                    "prompt": f"Question {p}?",
                    "model": m,
                    "output": f"Answer {p} #{m[:3]}",
                }
            )
    if gold:
        lines.append({"prompt_id": "g1", "prompt": "Gold?", "model": models[0], "output": "A good answer."})
        lines.append(
            {"prompt_id": "g1", "prompt": "Gold?", "model": models[1], "output": "zzz", "gold": "broken"}
        )
    if attention:
        text = "Attention check: choose Both are bad."
        for m in models[:2]:
            lines.append(
                {"prompt_id": "a1", "prompt": text, "model": m, "output": "Fine.", "attention": True}
            )
    return lines


def jsonl(records) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


@pytest.fixture
def owner(db):
    return ResearcherFactory()


@pytest.fixture
def make_study(owner):
    def make(records=None, config=None, k=3, annotators=()):
        study = services.create_rating_study(
            owner,
            "Rating test",
            jsonl(records if records is not None else outputs()),
            config=config,
            annotations_per_item=k,
        )
        study.annotators.add(*annotators)
        return study

    return make


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def preferred_choice(assignment_id: int, prefer=MODELS) -> str:
    """A rater who prefers models in the order given, answers gold pairs right and attention checks
    as told: returns the side to pick for the assignment."""
    a = Assignment.objects.select_related("item").get(pk=assignment_id)
    gold = a.item.gold_answer or {}
    if gold.get("kind") == "attention":
        return gold["choice"]
    left, right = services.displayed_order(a)
    if gold.get("kind") == "gold":
        return "left" if left == gold["winner_model"] else "right"
    return "left" if prefer.index(left) < prefer.index(right) else "right"
