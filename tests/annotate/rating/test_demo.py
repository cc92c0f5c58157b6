"""The rating demo study builds from its shipped JSONL."""

import pytest

from annotate.interfaces import autodiscover
from tests.factories import ResearcherFactory, UserFactory
from webapp.demo import DEMO_BUILDERS, create_demo_studies

NAME = "Rating demo: imitation vs reference"


@pytest.mark.django_db
def test_demo_study():
    autodiscover()
    assert NAME in DEMO_BUILDERS
    create_demo_studies(ResearcherFactory(), [UserFactory()])
    from annotate.models import Study

    study = Study.objects.get(name=NAME)
    assert study.kind == "rating" and study.annotations_per_item == 3
    assert study.items.count() == 15 * 2 + 3
    assert study.items.filter(is_gold=True).count() == 3
    kinds = sorted(i.gold_answer["kind"] for i in study.items.filter(is_gold=True))
    assert kinds == ["attention", "gold", "gold"]


@pytest.mark.django_db
def test_the_imitation_study_demo_is_the_experiments_own_ratings_file():
    """The shipped file is distill.imitation's ratings.jsonl: reference vs two imitation models on every
    held-out prompt, with the experiment's gold pairs and attention check."""
    autodiscover()
    create_demo_studies(ResearcherFactory(), [UserFactory()])
    from annotate.models import Study

    study = Study.objects.get(name="Rating demo: imitation study outputs")
    assert study.config["reference"] == "reference"
    ordinary = study.items.filter(is_gold=False)
    assert {i.payload["model_a"] for i in ordinary} == {"reference"}
    assert {i.payload["model_b"] for i in ordinary} == {
        "imitation-strong-broad-1024",
        "imitation-weak-broad-1024",
    }
    assert ordinary.count() == 2 * 56  # every held-out prompt (8 entities x 7 topics / 2 x 2 attributes)
    kinds = sorted(i.gold_answer["kind"] for i in study.items.filter(is_gold=True))
    assert kinds == ["attention", "gold", "gold"]
