"""Chess against Stockfish: move parsing, illegal moves, results and rewards, the step cap, Elo mode
and its refusals, the engine's lifecycle, a missing engine, and that no input string crashes it.

Engine tests use a small node budget (`nodes=`) so they run in milliseconds a move."""

from __future__ import annotations

import json

import chess
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml.rl.envs import make_env
from ml.rl.envs.base import EnvError
from ml.rl.envs.chess_env import ChessEnv, find_stockfish, parse_move
from ml.rl.envs.datasets import BEHAVIOURS, generate


def _engine_available() -> bool:
    try:
        find_stockfish()
    except EnvError:
        return False
    return True


needs_engine = pytest.mark.skipif(not _engine_available(), reason="Stockfish is not installed")
START = chess.STARTING_FEN


class FromPosition(ChessEnv):
    """Chess from a given position (the agent plays the side to move)."""

    def __init__(self, fen: str, **options):
        self.fen = fen
        super().__init__(colour="white" if chess.Board(fen).turn == chess.WHITE else "black", **options)

    def _start_board(self) -> chess.Board:
        return chess.Board(self.fen)


@pytest.fixture
def env():
    env = ChessEnv(nodes=200)
    yield env
    env.close()


# --- parsing, no engine needed


def test_san_and_uci_moves_parse():
    board = chess.Board()
    assert parse_move(board, "e4") == (chess.Move.from_uci("e2e4"), "")
    assert parse_move(board, "Nf3")[0] == chess.Move.from_uci("g1f3")
    assert parse_move(board, "g1f3")[0] == chess.Move.from_uci("g1f3")
    assert parse_move(board, " Nc3 ")[0] == chess.Move.from_uci("b1c3")
    castle = chess.Board("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1")
    assert parse_move(castle, "O-O")[0] == chess.Move.from_uci("e1g1")
    assert parse_move(castle, "O-O-O")[0] == chess.Move.from_uci("e1c1")
    assert parse_move(castle, "e1g1")[0] == chess.Move.from_uci("e1g1")
    promote = chess.Board("8/4P3/8/8/8/8/k7/7K w - - 0 1")
    assert parse_move(promote, "e8=Q")[0] == chess.Move.from_uci("e7e8q")
    assert parse_move(promote, "e7e8n")[0] == chess.Move.from_uci("e7e8n")


def test_unreadable_ambiguous_illegal_and_null_moves_are_refused_with_a_reason():
    board = chess.Board()
    for text, reason in [
        ("e5", "not a legal move"),
        ("Qxf7#", "not a legal move"),
        ("e2e5", "not a legal move"),
        ("hello", "not a move"),
        ("", "not a move"),
        ("--", "not a move"),
        ("0000", "not a move"),
    ]:
        move, why = parse_move(board, text)
        assert move is None and reason in why, text
    two_knights = chess.Board("4k3/8/8/8/8/2N1N3/8/4K3 w - - 0 1")  # Nc3 and Ne3 both reach d5
    move, why = parse_move(two_knights, "Nd5")
    assert move is None and "ambiguous" in why
    assert parse_move(two_knights, "Ncd5")[0] == chess.Move.from_uci("c3d5")


# --- engine setup and refusals


def test_a_missing_engine_binary_is_an_error_naming_the_fix(tmp_path, monkeypatch):
    with pytest.raises(EnvError, match="apt-get install -y stockfish"):
        ChessEnv(engine_path=str(tmp_path / "no-such-stockfish"))
    monkeypatch.setenv("ASSAY_STOCKFISH", str(tmp_path / "nothing-here"))
    with pytest.raises(EnvError, match="ASSAY_STOCKFISH"):
        ChessEnv()


def test_a_file_that_is_not_an_engine_is_an_error_at_its_first_move(tmp_path):
    fake = tmp_path / "fake-engine"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    env = ChessEnv(engine_path=str(fake))
    env.reset(0)  # the engine starts lazily: reset never touches it
    with pytest.raises(EnvError, match="could not start"):
        env.step("e4")
    env.close()


@needs_engine
def test_elo_mode_refuses_what_stockfish_would_ignore():
    with pytest.raises(EnvError, match="1350"):
        ChessEnv(mode="elo", elo=1200)
    with pytest.raises(EnvError, match="1350"):
        ChessEnv(mode="elo")
    with pytest.raises(EnvError, match="mode='elo'"):
        ChessEnv(elo=1500)  # the paper mode would silently play at full strength
    with pytest.raises(EnvError, match="mode"):
        ChessEnv(mode="blitz")
    with pytest.raises(EnvError, match="colour"):
        ChessEnv(colour="green")
    too_strong = ChessEnv(mode="elo", elo=5000, nodes=100)
    too_strong.reset(0)
    with pytest.raises(EnvError, match="UCI_Elo"):
        too_strong.step("e4")  # checked when the engine starts, at the first reply
    too_strong.close()


# --- playing


@needs_engine
def test_an_illegal_move_costs_one_is_not_played_and_uses_a_turn(env):
    history = env.reset(0)
    assert history[0].text == f"fen: {START}\n"
    result = env.step("e5")
    assert result.reward == -1.0 and not result.done and result.info["illegal"]
    assert result.observation == f"illegal move: 'e5' is not a legal move in this position | fen: {START}\n"
    assert env.board.fen() == START and env.steps == 1 and env.moves == []


@needs_engine
def test_a_legal_move_is_answered_by_the_engine_in_san(env):
    env.reset(0)
    result = env.step("e4")
    assert result.reward == 0.0 and result.info["move"] == "e4"
    reply = result.info["opponent_move"]
    assert result.observation.startswith(f"opponent: {reply} | fen: ")
    assert env.board.turn == chess.WHITE and env.moves == ["e4", reply]
    assert result.observation.strip().endswith(env.board.fen())


@needs_engine
def test_a_short_game_in_elo_mode_runs_to_the_cap():
    env = ChessEnv(mode="elo", elo=1350, nodes=300, max_steps=12)
    try:
        env.reset(0)
        assert env.engine.get().options["UCI_Elo"].min <= 1350
        while not env.done:
            result = env.step(env.legal_actions()[0])
            assert result.reward in (-1.0, 0.0, 1.0) and not result.info.get("illegal")
        if "result" in result.info:  # a weak engine can still mate a naive agent this fast
            assert env.steps <= 12
        else:
            assert env.steps == 12 and result.info["truncated"]
    finally:
        env.close()


@needs_engine
def test_the_agent_can_play_black(env):
    black = ChessEnv(colour="black", nodes=200)
    try:
        opening = black.reset(0)[0].text
        assert opening.startswith("opponent: ") and " b KQkq " in opening
        assert black.board.turn == chess.BLACK and len(black.moves) == 1
    finally:
        black.close()


@needs_engine
def test_the_step_cap_ends_the_game():
    env = ChessEnv(nodes=100, max_steps=3)
    try:
        env.reset(0)
        results = [env.step("nonsense") for _ in range(3)]
        assert [r.done for r in results] == [False, False, True]
        assert results[-1].info["truncated"] and env.total_reward == -3.0
    finally:
        env.close()
    assert ChessEnv(nodes=100).max_steps == 400


@needs_engine
def test_mating_the_opponent_wins_one():
    env = FromPosition("6k1/5ppp/8/8/8/8/5PPP/1R4K1 w - - 0 1", nodes=200)  # Rb8 is mate
    try:
        env.reset(0)
        result = env.step("Rb8#")
        assert (result.reward, result.done, result.info["result"]) == (1.0, True, "1-0")
        assert result.observation.startswith("checkmate: you win | fen: ")
        assert "opponent_move" not in result.info
    finally:
        env.close()


@needs_engine
def test_being_mated_loses_one():
    env = FromPosition("1r4k1/5ppp/8/8/8/8/P4PPP/6K1 w - - 0 1", nodes=2000)  # after a3, Rb1 is mate
    try:
        env.reset(0)
        result = env.step("a3")
        assert result.info["opponent_move"] == "Rb1#"
        assert (result.reward, result.done, result.info["result"]) == (-1.0, True, "0-1")
        assert "checkmate: you lose" in result.observation
    finally:
        env.close()


@needs_engine
def test_stalemate_is_a_draw_worth_zero():
    env = FromPosition("k7/2K5/8/8/8/8/8/1Q6 w - - 0 1", nodes=200)
    try:
        env.reset(0)
        result = env.step("Qb6")
        assert (result.reward, result.done, result.info["termination"]) == (0.0, True, "stalemate")
        assert "draw: stalemate" in result.observation
        with pytest.raises(Exception, match="over"):
            env.step("Qa6")
    finally:
        env.close()


@needs_engine
def test_legal_actions_render_and_engine_reuse(env):
    env.reset(0)
    assert len(env.legal_actions()) == 20 and "Nf3" in env.legal_actions()
    first = env.engine.get()
    env.step("d4")
    state = env.render()
    assert state["fen"] == env.board.fen() and state["svg"].startswith("<svg")
    assert state["turn"] == "white" and state["agent_colour"] == "white"
    assert state["last_move"] == env.moves[-1] and state["result"] is None
    json.dumps(state)
    env.reset(1)
    assert env.engine.get() is first  # one engine process across games
    env.close()
    assert env.engine._engine is None
    env.reset(2)  # a closed env starts a fresh engine when used again
    assert env.engine.get() is not first


@needs_engine
def test_engine_move_gives_a_legal_san_move_at_a_chosen_elo(env):
    env.reset(0)
    san = env.engine_move(1400)
    assert san in env.legal_actions()
    assert env.engine_move() in env.legal_actions()  # full strength
    assert env.engine.get().options  # the opponent's engine is a different process
    assert env.helper.get() is not env.engine.get()


@needs_engine
def test_behaviour_dataset_of_short_games(tmp_path):
    assert "chess" in BEHAVIOURS
    summary = generate("chess", 2, 0, tmp_path / "chess.jsonl", max_steps=4, nodes=200)
    lines = (tmp_path / "chess.jsonl").read_text().splitlines()
    assert summary["n"] == 2 and len(lines) == 3
    game = json.loads(lines[1])
    actions = [t for t in game["turns"] if t["is_action"]]
    assert len(actions) == 4 and all(t["reward"] == 0.0 for t in actions)  # Stockfish plays legal moves


@needs_engine
def test_make_env_passes_options():
    env = make_env("chess", colour="white", mode="elo", elo=1600, nodes=100)
    try:
        assert isinstance(env, ChessEnv) and env.normalisation.min == -401
    finally:
        env.close()


@pytest.fixture(scope="module")
def shared_env():
    if not _engine_available():
        pytest.skip("Stockfish is not installed")
    env = ChessEnv(nodes=50, max_steps=20)
    yield env
    env.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=12) | st.sampled_from(["e4", "Nf3", "d4", "O-O", "e2e4", "--"]), max_size=6))
def test_arbitrary_strings_never_crash(shared_env, actions):
    shared_env.reset(0)
    for action in actions:
        if shared_env.done:
            break
        result = shared_env.step(action)
        assert result.observation.endswith("\n") and "fen: " in result.observation
        assert result.reward in (-1.0, 0.0, 1.0)


# --- lazy engine, and replay from the recorded observations


def _poison_engine(tmp_path):
    """An "engine" that records that it was started, then fails."""
    marker = tmp_path / "started"
    fake = tmp_path / "poison-engine"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 3\n")
    fake.chmod(0o755)
    return str(fake), marker


def test_reset_never_starts_the_engine(tmp_path):
    path, marker = _poison_engine(tmp_path)
    env = ChessEnv(engine_path=path)
    history = env.reset(0)
    assert history[0].text == f"fen: {START}\n" and env.engine._engine is None
    assert env.legal_actions() and env.render()["fen"] == START
    assert not marker.exists()
    env.close()


@needs_engine
@pytest.mark.parametrize("colour", ["white", "black"])
def test_replay_with_observations_reproduces_the_game_without_an_engine(tmp_path, colour):
    live = ChessEnv(colour=colour, nodes=200)
    live.reset(5)
    moves = []
    for _ in range(4):
        move = live.legal_actions()[0] if len(moves) != 1 else "not a move"
        moves.append(move)
        result = live.step(move)
        if result.info.get("move"):
            assert result.info["opponent_move"]  # a live step gets the engine's reply
    live.close()
    observations = [t.text for t in live.history if not t.is_action]
    path, marker = _poison_engine(tmp_path)
    replayed = ChessEnv(colour=colour, engine_path=path)
    history = replayed.replay(5, moves, observations=observations)
    assert [t.text for t in history] == [t.text for t in live.history]
    assert replayed.board.fen() == live.board.fen() and replayed.moves == live.moves
    assert replayed.total_reward == live.total_reward == -1.0 and replayed.steps == 4
    assert not marker.exists() and replayed.engine._engine is None
    # Extra observations are ignored (the replay page rebuilds a prefix of the game).
    prefix = ChessEnv(colour=colour, engine_path=path).replay(5, moves[:2], observations=observations)
    assert [t.text for t in prefix] == [t.text for t in live.history[:5]]
    assert not marker.exists()
    replayed.close()


def test_replay_refuses_observations_that_do_not_match(tmp_path):
    path, marker = _poison_engine(tmp_path)
    env = ChessEnv(engine_path=path)
    after_e4 = chess.Board()
    after_e4.push_san("e4")
    after_e4.push_san("e5")
    good = [f"fen: {START}\n", f"opponent: e5 | fen: {after_e4.fen()}\n"]
    assert env.replay(0, ["e4"], observations=good)[-1].text == good[-1]
    with pytest.raises(EnvError, match="not the recorded"):
        env.replay(0, ["d4"], observations=good)  # a different move than the recording's position
    with pytest.raises(EnvError, match="not legal"):
        env.replay(0, ["e4"], observations=[good[0], "opponent: Ke2 | fen: x\n"])
    with pytest.raises(EnvError, match="observations"):
        env.replay(0, ["e4"], observations=good[:1])
    assert not marker.exists()
    env.close()


@needs_engine
def test_replay_without_observations_still_asks_the_engine(env):
    history = env.replay(0, ["e4"])
    assert history[-1].text.startswith("opponent: ") and env.engine._engine is not None
