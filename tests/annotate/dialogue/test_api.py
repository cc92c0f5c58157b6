"""The dialogue REST API: start, state, move (idempotent), trajectory; clear 4xx on bad input."""

import pytest

from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_play_a_maze_game_over_the_api():
    player = UserFactory()
    api = api_client_for(player)
    started = api.post("/api/dialogue/games/", {"task": "maze_fo", "seed": 5}, format="json")
    assert started.status_code == 201, started.json()
    game = started.json()
    assert game["turn"] == 1 and game["status"] == "active" and "move up" in game["legal_actions"]
    url = f"/api/dialogue/games/{game['id']}/"
    moved = api.post(url + "move/", {"text": "move left", "turn": 1}, format="json").json()
    assert moved["applied"] and moved["turn"] == 3
    again = api.post(url + "move/", {"text": "move left", "turn": 1}, format="json").json()
    assert not again["applied"] and again["turn"] == 3
    assert api.get(url).json()["turns"] == moved["turns"]
    trajectory = api.get(url + "trajectory/").json()
    assert trajectory["task"] == "maze_fo" and len(trajectory["turns"]) == 3 and "return" in trajectory
    # Someone else sees nothing.
    other = api_client_for(UserFactory())
    assert other.get(url).status_code == 404
    assert other.post(url + "move/", {"text": "move up", "turn": 3}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body, message",
    [
        ({"task": "nope"}, "Unknown task"),
        (
            {
                "task": "twenty_questions",
                "human_role": "counterpart",
                "partner": {"kind": "checkpoint", "checkpoint_id": 42},
            },
            "Unknown checkpoint",
        ),
        ({"task": "maze_fo", "env_options": {"size": 3}}, "takes no options"),
        ({"task": "wordle", "human_role": "counterpart"}, "no counterpart"),
    ],
)
def test_bad_starts_are_400_with_a_message(body, message):
    response = api_client_for(UserFactory()).post("/api/dialogue/games/", body, format="json")
    assert response.status_code == 400 and message in response.json()["detail"]


def test_bad_moves_are_4xx():
    player = UserFactory()
    api = api_client_for(player)
    game = api.post("/api/dialogue/games/", {"task": "wordle", "seed": 1}, format="json").json()
    url = f"/api/dialogue/games/{game['id']}/move/"
    assert api.post(url, {"text": "hello", "turn": "x"}, format="json").status_code == 400
    assert api.post(url, {"text": "", "turn": 1}, format="json").status_code == 400
    assert api.post(url, {"text": "hello", "turn": 7}, format="json").status_code == 409
    assert api.get("/api/dialogue/games/99999/").status_code == 404
    assert api.get("/api/dialogue/games/abc/").status_code == 404
