"""A dialogue study hands each annotator a game per item; finishing it completes the assignment once.
A checkpoint partner moves in a Celery task while the game shows it is thinking."""

import pytest
from django.test import Client

from annotate.dialogue import services
from annotate.dialogue.models import Game
from annotate.models import Assignment, Item, Response, Study
from evalhub.models import ModelCheckpoint
from tests.factories import ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_study_assigns_games_and_completes_each_assignment_once():
    annotator = UserFactory()
    study = Study.objects.create(
        name="mazes", kind="dialogue", owner=ResearcherFactory(), config={"task": "maze_fo"}
    )
    study.annotators.add(annotator)
    Item.objects.create(study=study, external_id="a", payload={"seed": 4})
    client = page_for(annotator)
    response = client.get(f"/studies/{study.pk}/annotate/")
    game = Game.objects.get(player=annotator)
    assert response.status_code == 302 and response["Location"] == f"/play/{game.pk}/"
    assert game.seed == 4 and game.assignment.study == study
    assert client.get(f"/studies/{study.pk}/annotate/")["Location"] == f"/play/{game.pk}/"  # resumed
    while game.status == "active":
        env, _ = services.build_env(game)
        from ml.rl.policies import scripted_policy

        move = scripted_policy("maze_fo")(env, list(env.history))
        client.post(f"/play/{game.pk}/", {"text": move, "turn": len(game.turns)})
        game.refresh_from_db()
    assert game.status == "finished"
    assert (
        client.post(f"/play/{game.pk}/", {"text": "move up", "turn": len(game.turns) - 2}).status_code == 200
    )
    assignment = Assignment.objects.get(pk=game.assignment_id)
    assert assignment.status == "done"
    (response,) = Response.objects.filter(assignment=assignment)
    assert response.answer["game"] == game.pk and response.answer["status"] == "finished"
    # Nothing left: the annotate page says so.
    assert b"Nothing left" in client.get(f"/studies/{study.pk}/annotate/").content
    # The owner exports the study's games.
    body = page_for(study.owner).get(f"/play/export.jsonl?study={study.pk}").content.decode()
    assert body.count("\n") == 2 and '"generator": "human"' in body
    assert page_for(annotator).get(f"/play/export.jsonl?study={study.pk}").status_code == 404


def test_a_broken_study_config_is_a_clear_error():
    annotator = UserFactory()
    study = Study.objects.create(
        name="bad", kind="dialogue", owner=ResearcherFactory(), config={"task": "nope"}
    )
    study.annotators.add(annotator)
    Item.objects.create(study=study, external_id="a", payload={"seed": 1})
    response = page_for(annotator).get(f"/studies/{study.pk}/annotate/")
    assert response.status_code == 400 and b"Unknown task" in response.content


def test_a_checkpoint_partner_thinks_in_a_task(
    tiny_checkpoint, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.dialogue import tasks

    sent = []
    monkeypatch.setattr(tasks.agent_move, "apply_async", lambda args, queue: sent.append((args, queue)))
    player = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        game = services.start_game(
            player,
            "twenty_questions",
            human_role="counterpart",
            partner={"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk},
            seed=1,
        )
    assert game.status == "thinking" and sent == [([game.pk, 1], "gpu")]
    client = page_for(player)
    polled = client.get(f"/play/{game.pk}/", HTTP_HX_REQUEST="true").content
    assert b'hx-trigger="every 300ms"' in polled and b"thinking" in polled
    assert client.post(f"/play/{game.pk}/", {"text": "Yes.", "turn": 1}).status_code == 409
    assert tasks.agent_move(game.pk, 1) == "moved"
    assert tasks.agent_move(game.pk, 1) == "stale"  # a redelivered task changes nothing
    game.refresh_from_db()
    assert game.status == "active" and game.turns[-1]["by"] == "agent" and game.turns[-1]["is_action"]
    polled = client.get(f"/play/{game.pk}/", HTTP_HX_REQUEST="true").content
    assert b"every 300ms" not in polled and b'id="move-input"' in polled
    with django_capture_on_commit_callbacks(execute=True):
        game, applied = services.play(game.pk, player, "No.", 2)
    assert applied and game.status == "thinking" and len(sent) == 2
    assert services.game_trajectory(game).players["agent"] == f"checkpoint:{tiny_checkpoint.pk}:tiny-agent"


def test_a_missing_checkpoint_fails_the_game_visibly(tiny_checkpoint):
    player = UserFactory()
    game = services.start_game(
        player,
        "twenty_questions",
        human_role="counterpart",
        partner={"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk},
        seed=1,
    )
    ModelCheckpoint.objects.filter(pk=tiny_checkpoint.pk).update(path="/nonexistent")
    assert services.agent_move(game.pk, 1) == "failed"
    game.refresh_from_db()
    assert game.status == "failed" and "could not move" in game.error


def test_links_to_play_and_to_a_dialogue_studys_games():
    annotator = UserFactory()
    assert b'href="/play/">Play</a>' in page_for(annotator).get("/play/").content  # the top navigation
    study = Study.objects.create(
        name="mazes", kind="dialogue", owner=ResearcherFactory(), config={"task": "maze_fo"}
    )
    study.annotators.add(annotator)
    Item.objects.create(study=study, external_id="a", payload={"seed": 4})
    page_for(annotator).get(f"/studies/{study.pk}/annotate/")
    game = Game.objects.get(player=annotator)
    owner_page = page_for(study.owner).get(f"/studies/{study.pk}/").content.decode()
    assert (
        f'href="/play/export.jsonl?study={study.pk}"' in owner_page and "Download games (JSONL)" in owner_page
    )
    assert f'href="/play/{game.pk}/replay/"' in owner_page and annotator.username in owner_page
    annotator_page = page_for(annotator).get(f"/studies/{study.pk}/").content.decode()
    assert "Download games" not in annotator_page and f"/play/{game.pk}/replay/" not in annotator_page
