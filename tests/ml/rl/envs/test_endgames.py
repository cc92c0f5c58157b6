"""Endgames: the shipped pool holds the claimed material with the claimed engine mate distances (checked
again with the engine for a sample), resets pick from it by seed, and play is chess's."""

from __future__ import annotations

import json
import random

import chess
import chess.engine
import pytest

from ml.rl.envs import make_env
from ml.rl.envs.base import EnvError
from ml.rl.envs.chess_env import Engine, find_stockfish
from ml.rl.envs.datasets import BEHAVIOURS, generate
from ml.rl.envs.endgames import (
    ANALYSIS_OPTIONS,
    MIN_MATE,
    POSITIONS_FILE,
    EndgamesEnv,
    engine_mate,
    material,
    parse_pool,
    position_pool,
    random_endgame,
)


def _engine_available() -> bool:
    try:
        find_stockfish()
    except EnvError:
        return False
    return True


needs_engine = pytest.mark.skipif(not _engine_available(), reason="Stockfish is not installed")


def _pool_engine_name() -> str:
    header = [line for line in POSITIONS_FILE.read_text().splitlines() if line.startswith("# engine: ")]
    return header[0].removeprefix("# engine: ").split(";")[0]


def test_the_pool_holds_both_endgames_with_the_claimed_material():
    pool = position_pool()
    assert sum(p.piece == "queen" for p in pool) >= 50 and sum(p.piece == "rook" for p in pool) >= 50
    assert len({p.fen for p in pool}) == len(pool)
    for p in pool:
        board = chess.Board(p.fen)
        assert board.is_valid() and board.turn == chess.WHITE and board.outcome() is None
        assert material(board) == p.piece
        assert p.mate >= MIN_MATE[p.piece]


def test_random_endgames_are_legal_with_the_asked_material():
    rng = random.Random(0)
    for piece in ("queen", "rook"):
        for _ in range(200):
            board = random_endgame(rng, piece)
            assert board.is_valid() and board.turn == chess.WHITE and material(board) == piece


def test_material_recognises_only_the_two_endgames():
    assert material(chess.Board("8/8/8/4k3/8/8/1Q6/6K1 w - - 0 1")) == "queen"
    assert material(chess.Board("8/8/8/4k3/8/8/1R6/6K1 w - - 0 1")) == "rook"
    assert material(chess.Board("8/8/8/4k3/8/8/1B6/6K1 w - - 0 1")) is None
    assert material(chess.Board("8/8/8/4k3/8/8/1q6/6K1 w - - 0 1")) is None
    assert material(chess.Board()) is None


def test_parse_pool_reads_fen_piece_and_mate():
    text = "# a header\n8/8/8/4k3/8/8/1Q6/6K1 w - - 0 1\tqueen\t9\n\n"
    [p] = parse_pool(text)
    assert (p.fen, p.piece, p.mate) == ("8/8/8/4k3/8/8/1Q6/6K1 w - - 0 1", "queen", 9)


@needs_engine
def test_the_engine_still_confirms_a_sample_of_the_pool():
    pool = position_pool()
    sample = [p for p in pool if p.piece == "queen"][:2] + [p for p in pool if p.piece == "rook"][:1]
    engine = Engine(find_stockfish(), ANALYSIS_OPTIONS)
    try:
        same_build = engine.name == _pool_engine_name()
        for p in sample:
            mate = engine_mate(engine.get(), chess.Board(p.fen))
            assert mate is not None, p
            if same_build:
                assert mate == p.mate, p  # the fixed-depth single-thread search is deterministic
            else:
                assert mate >= MIN_MATE[p.piece], p
    finally:
        engine.close()


@needs_engine
def test_resets_pick_pool_positions_by_seed():
    env = EndgamesEnv(nodes=200)
    try:
        fens = {p.fen for p in position_pool()}
        first = env.reset(7)[0].text
        assert first.startswith("fen: ") and first.strip().removeprefix("fen: ") in fens
        assert env.reset(7)[0].text == first
        assert len({env.reset(seed)[0].text for seed in range(20)}) > 10
        assert env.agent_colour == chess.WHITE
    finally:
        env.close()
    rooks = EndgamesEnv(piece="rook", nodes=200)
    try:
        for seed in range(10):
            rooks.reset(seed)
            assert material(rooks.board) == "rook" and rooks.render()["piece"] == "rook"
    finally:
        rooks.close()


@needs_engine
def test_illegal_moves_cost_one_and_are_not_played():
    env = EndgamesEnv(nodes=200, max_steps=2)
    try:
        env.reset(0)
        fen = env.board.fen()
        result = env.step("e4")
        assert result.reward == -1.0 and env.board.fen() == fen
        result = env.step("Kxz9")
        assert result.done and result.info["truncated"] and env.total_reward == -2.0
    finally:
        env.close()


@needs_engine
def test_a_strong_agent_mates_for_plus_one():
    env = EndgamesEnv(piece="queen", nodes=500)
    try:
        env.reset(0)
        while not env.done:
            result = env.step(env.engine_move(limit=chess.engine.Limit(nodes=20000)))
        assert (result.reward, result.info["result"], result.info["termination"]) == (1.0, "1-0", "checkmate")
        assert env.steps < 40
    finally:
        env.close()


def test_refuses_a_colour_or_an_unknown_piece():
    with pytest.raises(EnvError, match="extra piece"):
        EndgamesEnv(colour="black")
    with pytest.raises(EnvError, match="piece"):
        EndgamesEnv(piece="bishop")


@needs_engine
def test_behaviour_dataset_and_make_env(tmp_path):
    assert "endgames" in BEHAVIOURS
    summary = generate("endgames", 2, 0, tmp_path / "endgames.jsonl", max_steps=3, nodes=200)
    lines = (tmp_path / "endgames.jsonl").read_text().splitlines()
    assert summary["n"] == 2 and json.loads(lines[1])["task"] == "endgames"
    env = make_env("endgames", nodes=100)
    try:
        assert env.normalisation.avg == 0.586 and env.max_steps == 400
    finally:
        env.close()


@needs_engine
def test_replay_with_observations_needs_no_engine_and_reset_starts_none(tmp_path):
    marker = tmp_path / "started"
    fake = tmp_path / "poison-engine"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 3\n")
    fake.chmod(0o755)
    live = EndgamesEnv(nodes=200)
    try:
        live.reset(3)
        moves = []
        for _ in range(3):
            if live.done:
                break
            moves.append(live.legal_actions()[0])
            result = live.step(moves[-1])
            assert result.done or result.info["opponent_move"]  # a live step gets the engine's reply
    finally:
        live.close()
    replayed = EndgamesEnv(engine_path=str(fake))
    history = replayed.replay(3, moves, observations=[t.text for t in live.history if not t.is_action])
    assert [t.text for t in history] == [t.text for t in live.history]
    assert replayed.board.fen() == live.board.fen() and replayed.render()["start_fen"] == live.position.fen
    assert not marker.exists() and replayed.engine._engine is None
    replayed.close()
