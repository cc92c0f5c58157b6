"""A model as the oracle when the person plays the game: its replies are written in the worker while the
game is "thinking", recorded, and fed back on replay (no model needed to reload). A game left thinking
too long (a lost worker) fails with a clear error when it is next opened or polled."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from annotate.dialogue import services
from annotate.dialogue.models import Game
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def sent(monkeypatch):
    from annotate.dialogue import tasks

    calls = []
    monkeypatch.setattr(tasks.agent_move, "apply_async", lambda args, queue: calls.append((args, queue)))
    return calls


@pytest.mark.parametrize("task", ["twenty_questions", "guess_city", "car_dealer"])
def test_a_checkpoint_oracle_answers_in_the_worker_and_replays_from_the_record(
    task, tiny_checkpoint, sent, django_capture_on_commit_callbacks, monkeypatch
):
    from annotate.dialogue import tasks

    player = UserFactory()
    partner = {"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk}
    game = services.start_game(player, task, partner=partner, seed=3)
    assert game.status == "active" and game.partner["name"] == "tiny-agent" and len(game.turns) == 1
    question = "Is it an animal?" if task != "car_dealer" else "Hello, how can I help you today?"
    client = page_for(player)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/play/{game.pk}/", {"text": question, "turn": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'hx-trigger="every 300ms"' in response.content
    game.refresh_from_db()
    assert game.status == "thinking" and sent == [([game.pk, 2], "gpu")]
    assert game.turns[-1] == {"text": question + "\n", "is_action": True, "reward": 0.0, "by": "human"}
    assert client.post(f"/play/{game.pk}/", {"text": "again", "turn": 2}).status_code == 409
    assert tasks.agent_move(game.pk, 2) == "moved"
    assert tasks.agent_move(game.pk, 2) == "stale"  # a redelivered task changes nothing
    game.refresh_from_db()
    assert game.status in ("active", "finished") and len(game.turns) == 3
    reply = game.turns[-1]
    assert not reply["is_action"] and reply["by"] == "env" and "reply" in reply
    # Reloading replays the recorded reply: the model is not asked again.
    monkeypatch.setattr(
        "ml.rl.envs.lm_oracle.LMOracle.reply", lambda *a, **k: pytest.fail("replay asked the model")
    )
    env, waiting = services.build_env(game)
    assert not waiting and [t.text for t in env.history] == [t["text"] for t in game.turns]
    env.close()
    assert client.get(f"/play/{game.pk}/").status_code == 200
    assert (
        services.game_trajectory(game).players["environment"] == f"checkpoint:{tiny_checkpoint.pk}:tiny-agent"
    )
    if game.status == "active":  # the next question goes to the worker again
        with django_capture_on_commit_callbacks(execute=True):
            game, applied = services.play(game.pk, player, "Is it big?", 3)
        assert applied and game.status == "thinking" and sent[-1] == ([game.pk, 4], "gpu")


def test_the_form_and_api_offer_a_checkpoint_oracle_only_where_the_task_has_one(tiny_checkpoint, sent):
    player = UserFactory()
    response = page_for(player).post(
        "/play/",
        {"task": "guess_city", "human_role": "agent", "partner": f"checkpoint:{tiny_checkpoint.pk}"},
    )
    assert response.status_code == 302
    game = Game.objects.get(player=player)
    assert game.partner["kind"] == "checkpoint" and game.human_role == "agent"
    assert b"model: tiny-agent" in page_for(player).get("/play/").content
    api = api_client_for(player)
    body = {"task": "wordle", "partner": {"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk}}
    response = api.post("/api/dialogue/games/", body, format="json")
    assert response.status_code == 400 and "built-in counterpart" in response.json()["detail"]
    body = {"task": "car_dealer", "partner": {"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk}}
    assert api.post("/api/dialogue/games/", body, format="json").status_code == 201


def test_a_broken_checkpoint_oracle_fails_the_game_visibly(tiny_checkpoint, sent):
    player = UserFactory()
    partner = {"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk}
    game = services.start_game(player, "twenty_questions", partner=partner, seed=1)
    game, _ = services.play(game.pk, player, "Is it an animal?", 1)
    assert game.status == "thinking"
    type(tiny_checkpoint).objects.filter(pk=tiny_checkpoint.pk).update(path="/nonexistent")
    services._policies.clear()
    assert services.agent_move(game.pk, 2) == "failed"
    game.refresh_from_db()
    assert game.status == "failed" and "could not answer" in game.error


def test_a_game_thinking_too_long_fails_when_polled(tiny_checkpoint, sent):
    player = UserFactory()
    partner = {"kind": "checkpoint", "checkpoint_id": tiny_checkpoint.pk}
    game = services.start_game(player, "twenty_questions", partner=partner, seed=1, turn_seconds=30)
    game, _ = services.play(game.pk, player, "Is it an animal?", 1)
    assert game.status == "thinking"
    client = page_for(player)
    # Within the limit (2 x turn_seconds) it keeps thinking, and polling says so.
    Game.objects.filter(pk=game.pk).update(last_move_at=timezone.now() - timedelta(seconds=50))
    assert b"every 300ms" in client.get(f"/play/{game.pk}/", HTTP_HX_REQUEST="true").content
    assert Game.objects.get(pk=game.pk).status == "thinking"
    # Past it, the next poll fails the game with a clear error, and stops polling.
    Game.objects.filter(pk=game.pk).update(last_move_at=timezone.now() - timedelta(seconds=61))
    polled = client.get(f"/play/{game.pk}/", HTTP_HX_REQUEST="true").content
    game.refresh_from_db()
    assert game.status == "failed" and "did not answer within 60 seconds" in game.error
    assert b"every 300ms" not in polled and b"did not answer" in polled
    assert services.agent_move(game.pk, 2) == "stale"  # a late worker changes nothing
    # The API's read does the same.
    other = services.start_game(player, "twenty_questions", partner=partner, seed=2, turn_seconds=30)
    other, _ = services.play(other.pk, player, "Is it red?", 1)
    Game.objects.filter(pk=other.pk).update(last_move_at=timezone.now() - timedelta(seconds=61))
    body = api_client_for(player).get(f"/api/dialogue/games/{other.pk}/").json()
    assert body["status"] == "failed" and "did not answer" in body["error"]
