"""Flight booking in a real browser: a person plays the agent against the simulated customer, then the
customer against the scripted agent. The agent sees the flight table; the customer only its goal card.
Both games are saved with their turns (they are training data)."""

import random

import pytest

from annotate.dialogue.models import Game
from ml.calm import language
from ml.calm.env import goal_card
from ml.calm.world import correct_action, sample_context
from tests.e2e.conftest import login
from tests.e2e.test_dialogue import type_move
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEED = 5  # a booking whose correct action books a flight
TABLE = "#dialogue-state table:has(caption:text-is('flights'))"


def start(page, live_server, role: str) -> Game:
    page.goto(f"{live_server.url}/play/")
    page.select_option("#id_task", "flight_booking")
    page.select_option("#id_role", role)
    page.fill("#id_seed", str(SEED))
    with page.expect_navigation():
        page.click("#start-form button[type=submit]")
    return Game.objects.get(pk=int(page.url.rstrip("/").split("/")[-1]))


def last_reply(page) -> str:
    return page.locator(".dlg-history li.observation .text").last.inner_text()


def test_a_person_books_a_flight_as_the_agent(page, live_server):
    UserFactory(username="ada")
    login(page, live_server, "ada", PASSWORD)
    game = start(page, live_server, "agent")
    context = sample_context(SEED)
    goal = context.goal

    table = page.locator(TABLE)
    assert table.locator("tbody tr").count() == 30
    assert table.locator("thead th").first.inner_text() == "id"
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "1000"

    # The customer answers what is asked, in words the scripted agent also reads.
    for question, keys in [
        ("May I know your name?", {"name"}),
        ("Where are you flying from and to?", {"origin", "destination"}),
        ("What are your travel dates?", {"depart_month", "depart_day", "return_month", "return_day"}),
    ]:
        type_move(page, question)
        heard = language.read_constraints(last_reply(page))
        assert heard == {key: getattr(goal, key) for key in keys}

    type_move(page, correct_action(context).text())
    result = page.locator("#game-result").inner_text()
    assert "Finished" in result and "Return 1" in result
    assert "correct" in last_reply(page)

    game.refresh_from_db()
    assert game.status == "finished" and game.total_return == 1.0
    assert len(game.turns) == 1 + 2 * 4
    assert [t["by"] for t in game.turns if t["is_action"]] == ["human"] * 4
    assert game.turns[-2]["text"] == correct_action(context).text() + "\n"


def test_a_person_answers_the_scripted_agent_as_the_customer(page, live_server):
    UserFactory(username="grace")
    login(page, live_server, "grace", PASSWORD)
    game = start(page, live_server, "counterpart")
    goal = sample_context(SEED).goal

    replies = 0
    while page.locator("#move-input").count():
        assert page.locator(TABLE).count() == 0 and page.locator("#dialogue-state caption").count() == 0
        card = page.locator("#game-secret")
        for key, value in goal_card(goal).items():
            assert card.locator(f"tr:has(th:text-is('{key}')) td").inner_text() == value
        # Answer from the goal card: yes or no to an offered flight, else what the agent asked.
        asked = page.locator(".dlg-history li.action.by-agent .text").last.inner_text()
        offer = language.read_offer(asked)
        if offer is not None:
            problems = language.offer_problems(offer, goal)
            reply = f"No, {problems[0]}." if problems else "Yes, please book it."
        else:
            rng = random.Random(replies)
            reply = " ".join(language.answer(slot, goal, rng) for slot in language.asked_slots(asked))
        type_move(page, reply)
        replies += 1

    result = page.locator("#game-result").inner_text()
    assert "Finished" in result and "Return 1" in result
    assert (
        page.locator(TABLE).count() == 0 and "reservation" not in page.locator("#dialogue-state").inner_text()
    )

    game.refresh_from_db()
    assert game.status == "finished" and game.total_return == 1.0
    assert game.turns[-2]["text"] == correct_action(sample_context(SEED)).text() + "\n"
    human = [t for t in game.turns if t["by"] == "human"]
    assert len(human) == replies and all(t["reply"] for t in human)
    assert all(t["by"] == "agent" for t in game.turns if t["is_action"])
