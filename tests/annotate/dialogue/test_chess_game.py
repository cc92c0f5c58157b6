"""Chess in the browser: the engine replies to each legal move, an illegal move costs −1 and is not
played, and reloading the page (a rebuild by replay) shows the same position without asking the engine."""

import chess
import pytest
from django.test import Client

from annotate.dialogue import services
from ml.rl.envs.base import EnvError
from ml.rl.envs.chess_env import find_stockfish, recorded_notes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _engine_available() -> bool:
    try:
        find_stockfish()
    except EnvError:
        return False
    return True


needs_engine = pytest.mark.skipif(not _engine_available(), reason="Stockfish is not installed")


@needs_engine
def test_a_chess_game_in_the_browser(monkeypatch):
    player = UserFactory()
    game = services.start_game(player, "chess", {"nodes": 200}, seed=4)
    assert game.status == "active" and game.turns[0]["text"] == f"fen: {chess.STARTING_FEN}\n"
    client = Client()
    client.force_login(player)
    board = chess.Board()
    for move in ["e4", "Nf3", "Bc4"]:
        if move not in {board.san(m) for m in board.legal_moves}:
            move = board.san(next(iter(board.legal_moves)))
        response = client.post(f"/play/{game.pk}/", {"text": move, "turn": len(game.turns)})
        assert response.status_code == 200
        game.refresh_from_db()
        reply = recorded_notes(game.turns[-1]["text"])
        assert game.turns[-2]["text"] == f"{move}\n" and game.turns[-2]["reward"] == 0.0
        assert reply.get("opponent"), "the engine replied"
        board.push_san(move)
        board.push_san(reply["opponent"])
        assert reply["fen"] == board.fen()
    # An illegal move costs −1, is not played, and is not a server error.
    fen = board.fen()
    response = client.post(f"/play/{game.pk}/", {"text": "Ke8", "turn": len(game.turns)})
    assert response.status_code == 200
    game.refresh_from_db()
    assert game.total_return == -1.0 and game.status == "active"
    assert game.turns[-2]["reward"] == -1.0 and "illegal move" in game.turns[-1]["text"]
    assert recorded_notes(game.turns[-1]["text"])["fen"] == fen
    # Reloading rebuilds the game by replay, from the recorded replies: no engine is started.
    monkeypatch.setattr(
        "ml.rl.envs.chess_env.Engine.get", lambda self: pytest.fail("replay started the engine")
    )
    page = client.get(f"/play/{game.pk}/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b'class="dlg-board"' in page.content
    assert fen.encode() in page.content
    env, waiting = services.build_env(game)
    assert not waiting and env.board.fen() == fen and env.total_reward == -1.0
    env.close()
    replay = client.get(f"/play/{game.pk}/replay/?step=1")
    assert replay.status_code == 200 and b"<svg" in replay.content


@needs_engine
def test_endgames_play_and_reload_without_the_engine(monkeypatch):
    player = UserFactory()
    game = services.start_game(player, "endgames", {"nodes": 200}, seed=2)
    env, _ = services.build_env(game)
    move = env.legal_actions()[0]
    env.close()
    game, applied = services.play(game.pk, player, move, 1)
    assert applied and (game.is_over or recorded_notes(game.turns[-1]["text"]).get("opponent"))
    monkeypatch.setattr(
        "ml.rl.envs.chess_env.Engine.get", lambda self: pytest.fail("replay started the engine")
    )
    env, _ = services.build_env(game)
    assert env.board.fen() == recorded_notes(game.turns[-1]["text"])["fen"]
    env.close()


@needs_engine
def test_the_start_form_picks_the_side_and_the_engine_strength():
    player = UserFactory()
    client = Client()
    client.force_login(player)
    form = {"task": "chess", "human_role": "agent", "partner": "", "seed": "1"}

    response = client.post("/play/", {**form, "colour": "black", "elo": "1500"})
    assert response.status_code == 302
    game = services.visible_games(player).get()
    assert game.env_options == {"colour": "black", "mode": "elo", "elo": 1500}
    # Playing black, the engine (white) has already moved when the game opens.
    assert "opponent:" in game.turns[0]["text"]

    for elo, message in (("1000", "1350"), ("strong", "whole number")):
        response = client.post("/play/", {**form, "elo": elo})
        assert response.status_code == 400 and message in response.content.decode()
    assert services.visible_games(player).count() == 1
