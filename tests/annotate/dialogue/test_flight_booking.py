"""Flight booking in the browser pages and the API: the agent sees the flight table, the customer (a
person playing the counterpart) never does but sees its goal card; a study's owner sees everything."""

import json
import random
import re

import pytest
from django.test import Client

from annotate.dialogue import services
from annotate.dialogue.models import Game
from annotate.models import Item, Study
from ml.calm import language
from ml.calm.env import goal_card
from ml.calm.world import correct_action, sample_context
from tests.conftest import api_client_for
from tests.factories import ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db

SEED = 5  # a booking whose correct action books a flight
TABLE = 'id="state-flights"'  # the flight table's <table>


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def flight_ids(text: str) -> set[str]:
    # Flight ids run 1000-1029; "$1000" is a budget.
    return set(re.findall(r"(?<![$\w])10[0-2]\d\b", text))


def customer_reply(goal, utterance: str) -> str:
    """What a person reading the goal card says: yes or no to an offer, else what is asked."""
    offer = language.read_offer(utterance)
    if offer is not None:
        problems = language.offer_problems(offer, goal)
        return f"No, {problems[0]}." if problems else "Yes, please book it."
    slots = language.asked_slots(utterance)
    return " ".join(language.answer(slot, goal, random.Random(0)) for slot in slots) or "Sorry?"


def test_the_agent_sees_the_flight_table():
    player = UserFactory()
    game = services.start_game(player, "flight_booking", seed=SEED)
    client = page_for(player)
    page = client.get(f"/play/{game.pk}/").content.decode()
    assert TABLE in page and ">flights</caption>" in page and '<th scope="col">airline</th>' in page
    assert flight_ids(page) == {str(i) for i in range(1000, 1030)}
    assert "<th>reservation</th><td>none</td>" in page
    assert "agent only" not in page and '"columns"' not in page  # drawn as a table, not a JSON dump
    # Still there after a move, and in the API.
    client.post(f"/play/{game.pk}/", {"text": "May I know your name?", "turn": 1})
    assert TABLE in client.get(f"/play/{game.pk}/").content.decode()
    state = api_client_for(player).get(f"/api/dialogue/games/{game.pk}/").json()["state"]
    assert len(state["flights"]["rows"]) == 30 and state["agent_only"] == ["flights", "reservation"]


def test_the_customer_never_sees_the_table_but_sees_the_goal_card():
    player = UserFactory()
    game = services.start_game(player, "flight_booking", human_role="counterpart", seed=SEED)
    goal = sample_context(SEED).goal
    assert game.turns[-1]["by"] == "agent"  # the scripted agent has asked its first question
    page = page_for(player).get(f"/play/{game.pk}/").content.decode()
    assert TABLE not in page and "<th>reservation</th>" not in page and "agent only" not in page
    assert flight_ids(page) == set()
    assert 'id="game-secret"' in page
    for key, value in goal_card(goal).items():
        assert f"<th>{key}</th><td>{value}</td>" in page
    body = api_client_for(player).get(f"/api/dialogue/games/{game.pk}/").json()
    assert not {"flights", "reservation", "agent_only"} & set(body["state"])
    assert body["state"]["secret"] == goal_card(goal)
    assert flight_ids(json.dumps(body)) == set()


def test_a_customer_game_is_played_to_the_end_without_the_table():
    """A study of customer games: the annotator answers the scripted agent until it books; the table
    stays hidden from them on every page, while the study's owner sees it in the replay and the API."""
    annotator = UserFactory()
    study = Study.objects.create(
        name="flights",
        kind="dialogue",
        owner=ResearcherFactory(),
        config={"task": "flight_booking", "human_role": "counterpart", "partner": {"kind": "scripted"}},
    )
    study.annotators.add(annotator)
    Item.objects.create(study=study, external_id="a", payload={"seed": SEED})
    client = page_for(annotator)
    client.get(f"/studies/{study.pk}/annotate/")
    game = Game.objects.get(player=annotator)
    goal = sample_context(SEED).goal
    offered = set()
    while game.status == "active":
        utterance = game.turns[-1]["text"]
        offered |= flight_ids(utterance)  # the flights the agent has named are no secret
        page = client.get(f"/play/{game.pk}/").content.decode()
        assert TABLE not in page and flight_ids(page) <= offered
        client.post(f"/play/{game.pk}/", {"text": customer_reply(goal, utterance), "turn": len(game.turns)})
        game.refresh_from_db()
    want = correct_action(sample_context(SEED))
    assert game.status == "finished" and game.total_return == 1.0 and offered == {str(want.flight)}
    assert game.turns[-2]["text"] == want.text() + "\n"
    assert [t["by"] for t in game.turns[:3]] == ["env", "agent", "human"]
    replay = f"/play/{game.pk}/replay/"
    assert TABLE not in client.get(replay).content.decode()
    owner = study.owner
    assert TABLE in page_for(owner).get(replay).content.decode()
    assert "flights" in api_client_for(owner).get(f"/api/dialogue/games/{game.pk}/").json()["state"]
    assert "flights" not in api_client_for(annotator).get(f"/api/dialogue/games/{game.pk}/").json()["state"]
