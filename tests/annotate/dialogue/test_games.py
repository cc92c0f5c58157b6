"""Playing games through the services and the pages: full games, idempotent moves, bad input, permissions."""

import pytest
from django.test import Client

from annotate.dialogue import services
from annotate.dialogue.models import Game
from ml.rl.envs import make_env
from ml.rl.envs.trajectories import read_jsonl
from ml.rl.policies import scripted_policy
from tests.factories import ResearcherFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def solver_moves(game: Game) -> str:
    env, _ = services.build_env(game)
    return scripted_policy(game.task, 0)(env, list(env.history))


def test_full_wordle_game_is_saved_and_exported(tmp_path):
    player = UserFactory()
    game = services.start_game(player, "wordle", seed=11)
    assert game.status == "active" and len(game.turns) == 1
    while game.status == "active":
        game, applied = services.play(game.pk, player, solver_moves(game), len(game.turns))
        assert applied
    assert game.status == "finished"
    actions = [t for t in game.turns if t["is_action"]]
    assert all(t["by"] == "human" for t in actions)
    assert game.turns[-1]["text"] == "g g g g g\n"
    assert game.total_return == sum(t["reward"] for t in actions) > -6
    # The trajectory replays to the same history and round-trips through the JSONL format.
    path = tmp_path / "games.jsonl"
    path.write_text(services.games_jsonl([game]))
    head, trajectories = read_jsonl(path)
    (trajectory,) = list(trajectories)
    assert head["generator"] == "human" and head["task"] == "wordle"
    assert trajectory.players == {"agent": f"human:{player.pk}:{player.username}", "environment": "env"}
    assert trajectory.ret == game.total_return and trajectory.done
    env = make_env("wordle")
    assert [t.text for t in env.replay(11, [t["text"] for t in actions])] == [
        t.text for t in trajectory.turns
    ]


def test_a_resubmitted_move_is_applied_once():
    player = UserFactory()
    game = services.start_game(player, "maze_fo", seed=3)
    client = page_for(player)
    for _ in range(2):
        response = client.post(f"/play/{game.pk}/", {"text": "move up", "turn": 1}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    game.refresh_from_db()
    assert len(game.turns) == 3 and sum(t["is_action"] for t in game.turns) == 1
    _, applied = services.play(game.pk, player, "move down", 1)
    assert not applied
    with pytest.raises(services.GameError) as exc:
        services.play(game.pk, player, "move down", 9)
    assert exc.value.status == 409


def test_an_unparseable_move_follows_the_rules():
    player = UserFactory()
    game = services.start_game(player, "wordle", seed=1)
    response = page_for(player).post(f"/play/{game.pk}/", {"text": "<b>not a word</b>", "turn": 1})
    assert response.status_code == 200
    game.refresh_from_db()
    assert game.turns[-1]["text"].startswith("invalid:") and game.total_return == -1
    assert b"&lt;b&gt;not a word&lt;/b&gt;" in response.content
    assert page_for(player).post(f"/play/{game.pk}/", {"text": "  ", "turn": 3}).status_code == 400
    assert page_for(player).post(f"/play/{game.pk}/", {"text": "x", "turn": "abc"}).status_code == 400


def test_start_errors_are_400_with_a_message():
    client = page_for(UserFactory())
    cases = [
        ({"task": "no_such_game", "human_role": "agent", "partner": "builtin"}, b"Unknown task"),
        (
            {"task": "twenty_questions", "human_role": "counterpart", "partner": "checkpoint:999"},
            b"Unknown checkpoint",
        ),
        ({"task": "wordle", "human_role": "counterpart", "partner": "scripted"}, b"no counterpart"),
        ({"task": "wordle", "human_role": "agent", "partner": "scripted"}, b"built-in"),
        ({"task": "wordle", "human_role": "agent", "partner": "builtin", "seed": "x"}, b"seed"),
    ]
    for form, message in cases:
        response = client.post("/play/", form)
        assert response.status_code == 400 and message in response.content, form
    assert client.get("/play/").status_code == 200


def test_the_player_can_start_from_the_form():
    player = UserFactory()
    response = page_for(player).post(
        "/play/", {"task": "maze_fo", "human_role": "agent", "partner": "builtin"}
    )
    game = Game.objects.get(player=player)
    assert response.status_code == 302 and response["Location"] == f"/play/{game.pk}/"
    page = page_for(player).get(f"/play/{game.pk}/")
    assert b'class="dlg-maze"' in page.content and b'data-move="move up"' in page.content


def test_others_get_404_owners_and_admins_see_study_games(admin_user):
    from annotate.models import Study

    owner = ResearcherFactory()
    player = UserFactory()
    study = Study.objects.create(name="s", kind="dialogue", owner=owner, config={"task": "maze_fo"})
    game = services.start_game(player, "maze_fo", seed=1, study=study)
    for who, status in ((UserFactory(), 404), (ResearcherFactory(), 404), (owner, 200), (admin_user, 200)):
        assert page_for(who).get(f"/play/{game.pk}/").status_code == status
        assert page_for(who).get(f"/play/{game.pk}/replay/").status_code == status
    # Only the player moves.
    assert page_for(owner).post(f"/play/{game.pk}/", {"text": "move up", "turn": 1}).status_code == 404
    assert page_for(player).get("/play/999999/").status_code == 404


def test_a_late_move_abandons_the_game():
    from datetime import timedelta

    player = UserFactory()
    game = services.start_game(player, "maze_fo", seed=1, turn_seconds=10)
    Game.objects.filter(pk=game.pk).update(last_move_at=game.last_move_at - timedelta(seconds=60))
    game, applied = services.play(game.pk, player, "move up", 1)
    assert not applied and game.status == "abandoned" and len(game.turns) == 1


def test_counterpart_game_against_the_scripted_questioner():
    player = UserFactory()
    game = services.start_game(
        player, "twenty_questions", human_role="counterpart", partner={"kind": "scripted"}, seed=2
    )
    assert game.turns[-1]["is_action"] and game.turns[-1]["by"] == "agent"
    env, waiting = services.build_env(game)
    assert waiting
    kb, secret = env.kb, env.secret
    while game.status == "active":
        question = kb.parse(game.turns[-1]["text"])
        yes = question is not None and kb.answer(question, kb.by_name[secret["object"]])
        game, _ = services.play(game.pk, player, "Yes." if yes else "No.", len(game.turns))
    assert game.status == "finished" and game.total_return > -20
    trajectory = services.game_trajectory(game)
    assert trajectory.players["environment"].startswith("human:")
    assert trajectory.players["agent"] == "scripted:twenty_questions"
    replay = page_for(player).get(f"/play/{game.pk}/replay/?step=2")
    assert replay.status_code == 200
