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
