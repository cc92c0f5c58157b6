"""The dialogue demo studies build and hand out games."""

import pytest
from django.test import Client

from annotate.dialogue.models import Game
from annotate.interfaces import autodiscover
from annotate.models import Study
from tests.factories import ResearcherFactory, UserFactory
from webapp.demo import create_demo_studies


@pytest.mark.django_db
def test_dialogue_demo_studies_start_games():
    autodiscover()
    annotator = UserFactory()
    create_demo_studies(ResearcherFactory(), [annotator])
    client = Client()
    client.force_login(annotator)
    for name, task, first_by in (
        ("Dialogue demo: Wordle", "wordle", "env"),
        ("Dialogue demo: Twenty Questions (you answer)", "twenty_questions", "agent"),
    ):
        study = Study.objects.get(name=name)
        assert study.kind == "dialogue" and study.items.count() == 10
        response = client.get(f"/studies/{study.pk}/annotate/")
        game = Game.objects.get(study=study, player=annotator)
        assert response["Location"] == f"/play/{game.pk}/" and game.task == task
        assert game.turns[-1]["by"] == first_by
        page = client.get(f"/play/{game.pk}/")
        assert page.status_code == 200 and b'id="move-input"' in page.content
    # The person answering the questions is shown the secret object.
    assert b"The secret" in page.content
