"""Chess (LMRL-Gym) against Stockfish, and the engine handling the Endgames task shares.

    history:  "fen: rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1\n"
    agent:    "e4\n"
    env:      "opponent: c5 | fen: rnbqkbnr/pp1ppppp/8/2p5/4P3/8/PPPP1PPP/RNBQKBNR w KQkq c6 0 2\n"

Every observation ends with the board as FEN; before it may come, separated by " | ", a note on an
illegal move, the opponent's reply in SAN, and the result once the game is over ("checkmate: you win").
The agent moves in SAN ("Nf3", "O-O", "exd5", "e8=Q"); UCI ("g1f3", "e7e8q") is accepted too, since
python-chess reads both unambiguously. A move that cannot be read, is ambiguous or is illegal costs −1
and is not played; it still counts as one of the `max_steps` turns (400, the paper's cap).

Reward +1 for a win, −1 for a loss, 0 for a draw, on the step that ends the game. Draws include those
a player could claim (threefold repetition, fifty moves), so aimless games end.

Opponent: Stockfish through `chess.engine`, `mode="paper"` at full strength and `movetime` seconds a
move (0.1), or `mode="elo"` with `UCI_LimitStrength` and `UCI_Elo` (Stockfish only honours 1350 and
up, so lower is refused). `nodes=` replaces the time limit with a node budget (faster, steadier tests).
The engine starts lazily, when the opponent first has to move (never at reset or replay), is kept
across resets, and `close()` quits it; a missing or broken engine is reported then. Games are not
reproducible from the seed: Stockfish's timed search, and its Elo mode's move picking, vary run to run.
So `replay(seed, actions, observations=...)` re-applies the opponent's recorded replies instead of
asking the engine: observations[0] is the opening observation, observations[i] the reply to action i
(extra ones are ignored). Replay then never starts the engine and checks every position against the
recorded FEN; without observations it replays live, against the engine.
"""

from __future__ import annotations

import os
import random
import shutil
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chess
import chess.engine
import chess.svg

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, register_task
from ml.rl.envs.datasets import behaviour

DEFAULT_STOCKFISH = "/usr/games/stockfish"
INSTALL_HINT = (
    "install Stockfish (Debian/Ubuntu: apt-get install -y stockfish), or set engine_path= or the "
    "ASSAY_STOCKFISH environment variable to the engine binary"
)
MIN_ELO = 1350  # Stockfish ignores UCI_Elo below this
BEHAVIOUR_ELO = (1350, 2000)
COLOURS = {"white": chess.WHITE, "black": chess.BLACK}


def find_stockfish(engine_path: str | os.PathLike | None = None) -> str:
    """The engine binary: `engine_path` if given, else $ASSAY_STOCKFISH, else the Debian path, else PATH."""
    if engine_path:
        candidates, where = [str(engine_path)], f"engine_path={str(engine_path)!r}"
    elif os.environ.get("ASSAY_STOCKFISH"):
        candidates, where = [os.environ["ASSAY_STOCKFISH"]], "$ASSAY_STOCKFISH"
    else:
        candidates = [DEFAULT_STOCKFISH, shutil.which("stockfish") or ""]
        where = f"{DEFAULT_STOCKFISH} or PATH"
    for path in candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    raise EnvError(f"Stockfish not found ({where}): {INSTALL_HINT}")


def _quit(engine: chess.engine.SimpleEngine) -> None:
    try:
        engine.quit()
    except (chess.engine.EngineError, OSError, TimeoutError):
        pass  # already gone


class Engine:
    """One Stockfish process with fixed UCI options, started on first use and reused until close()."""

    def __init__(self, path: str, options: dict[str, Any] | None = None):
        self.path = path
        self.options = {"Threads": 1, **(options or {})}
        self._engine: chess.engine.SimpleEngine | None = None
        self._finalizer: weakref.finalize | None = None

    def get(self) -> chess.engine.SimpleEngine:
        if self._engine is None:
            try:
                engine = chess.engine.SimpleEngine.popen_uci(self.path)
            except (OSError, TimeoutError, chess.engine.EngineError) as exc:
                raise EnvError(
                    f"could not start the chess engine {self.path!r} ({exc}): {INSTALL_HINT}"
                ) from exc
            # Quit the process even if the owner is dropped without close().
            self._finalizer = weakref.finalize(self, _quit, engine)
            self._engine = engine
            self.configure(self.options)
        return self._engine

    def configure(self, options: dict[str, Any]) -> None:
        engine = self.get()
        elo = options.get("UCI_Elo")
        if elo is not None and "UCI_Elo" in engine.options:
            low, high = engine.options["UCI_Elo"].min, engine.options["UCI_Elo"].max
            if not low <= elo <= high:
                raise EnvError(
                    f"{engine.id.get('name', 'the engine')} takes UCI_Elo {low}..{high}, not {elo}"
                )
        engine.configure(options)

    @property
    def name(self) -> str:
        return self.get().id.get("name", "unknown engine")

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._engine, self._finalizer = None, None


def strength_options(mode: str, elo: int | None) -> dict[str, Any]:
    """UCI options for the opponent's strength; refuses settings Stockfish would silently ignore."""
    if mode == "paper":
        if elo is not None:
            raise EnvError("elo= needs mode='elo' (mode='paper' is full strength)")
        return {"UCI_LimitStrength": False}
    if mode == "elo":
        if elo is None or int(elo) < MIN_ELO:
            raise EnvError(f"mode='elo' needs elo >= {MIN_ELO} (Stockfish ignores lower); got {elo}")
        return {"UCI_LimitStrength": True, "UCI_Elo": int(elo)}
    raise EnvError(f"mode must be 'paper' or 'elo', not {mode!r}")


def parse_move(board: chess.Board, text: str) -> tuple[chess.Move | None, str]:
    """(move, "") for a legal move in SAN or UCI, else (None, why not)."""
    text = text.strip()
    try:
        move = board.parse_san(text)
    except chess.AmbiguousMoveError:
        return None, f"{text!r} is ambiguous: name the piece's file or rank, like Nbd2"
    except ValueError:
        try:
            move = board.parse_uci(text.lower())
        except ValueError:
            move = None
    # Null moves ("--", "0000") parse but are never legal.
    if move and move in board.legal_moves:
        return move, ""
    if move or _looks_like_a_move(text):
        return None, f"{text!r} is not a legal move in this position"
    return None, f"{text!r} is not a move: use SAN like Nf3 or e4"


def recorded_notes(observation: str) -> dict[str, str]:
    """The opponent's reply ("opponent", SAN) and the board ("fen") read back from an observation. The
    FEN is always the last part and the reply the first, so a note quoting the player's text (which may
    hold " | ") cannot pass for either."""
    text = observation.strip()
    notes = {}
    head, sep, fen = text.rpartition(" | fen: ")
    if sep:
        notes["fen"] = fen.strip()
    elif text.startswith("fen: "):
        head, notes["fen"] = "", text[len("fen: ") :].strip()
    if head.startswith("opponent: "):
        notes["opponent"] = head[len("opponent: ") :].split(" | ", 1)[0].strip()
    return notes


def _looks_like_a_move(text: str) -> bool:
    return 2 <= len(text) <= 8 and any(c in "abcdefgh" for c in text) and any(c in "12345678" for c in text)


class ChessEnv(TextEnv):
    name = "chess"
    max_steps = 400
    normalisation = Normalisation(-401.0, 0.21, 1.0)

    def __init__(
        self,
        colour: str = "white",
        mode: str = "paper",
        elo: int | None = None,
        movetime: float = 0.1,
        nodes: int | None = None,
        max_steps: int | None = None,
        engine_path: str | None = None,
    ):
        super().__init__()
        if colour not in (*COLOURS, "random"):
            raise EnvError(f"colour must be 'white', 'black' or 'random', not {colour!r}")
        if movetime <= 0 or (nodes is not None and nodes <= 0):
            raise EnvError("movetime and nodes must be positive")
        self.colour_option = colour
        self.mode, self.elo = mode, elo
        self.limit = chess.engine.Limit(nodes=nodes) if nodes else chess.engine.Limit(time=movetime)
        if max_steps is not None:
            self.max_steps = int(max_steps)
        path = find_stockfish(engine_path)  # fail at construction, not mid-rollout
        self.engine = Engine(path, strength_options(mode, elo))
        self.helper = Engine(path)  # a second process for engine_move(), so the opponent's settings stay put
        self.board = chess.Board()
        self.agent_colour = chess.WHITE
        self.moves: list[str] = []  # the game so far in SAN
        self.game_key: object = object()  # a new key makes python-chess send ucinewgame
        self._recorded: Sequence[str] | None = None  # observations re-applied during replay

    # --- the game

    def _start_board(self) -> chess.Board:
        return chess.Board()

    def _reset(self) -> str:
        # No engine here: it starts when the opponent first has to move (reset must stay cheap).
        self.board = self._start_board()
        self.moves = []
        self.game_key = object()
        if self.colour_option == "random":
            self.agent_colour = self.rng.random() < 0.5
        else:
            self.agent_colour = COLOURS[self.colour_option]
        self._initial_turn(self.board)
        notes = []
        if self.board.turn != self.agent_colour:
            notes.append(f"opponent: {self._opponent_moves()}")
        return self._observation(notes)

    def _initial_turn(self, board: chess.Board) -> None:
        """Hook for subclasses that set the agent's colour from the start position."""

    def _step(self, action: str) -> StepResult:
        move, why = parse_move(self.board, action)
        if move is None:
            return StepResult(self._observation([f"illegal move: {why}"]), -1.0, False, {"illegal": True})
        info: dict[str, Any] = {"move": self._push(move)}
        if not self._over():
            info["opponent_move"] = self._opponent_moves()
        notes = [f"opponent: {info['opponent_move']}"] if "opponent_move" in info else []
        reward, done = 0.0, self._over()
        if done:
            outcome = self.board.outcome(claim_draw=True)
            reward = 0.0 if outcome.winner is None else (1.0 if outcome.winner == self.agent_colour else -1.0)
            info.update(result=outcome.result(), termination=outcome.termination.name.lower())
            notes.append(self._result_text(outcome))
        return StepResult(self._observation(notes), reward, done, info)

    def _push(self, move: chess.Move) -> str:
        san = self.board.san(move)
        self.board.push(move)
        self.moves.append(san)
        return san

    def _opponent_moves(self) -> str:
        if self._recorded is not None:
            return self._push(self._recorded_reply())
        played = self.engine.get().play(self.board, self.limit, game=self.game_key)
        if played.move is None:
            raise EnvError("the engine returned no move")
        return self._push(played.move)

    def _recorded_reply(self) -> chess.Move:
        """The opponent's move recorded in the observation for the current turn (during replay)."""
        assert self._recorded is not None
        if self.steps >= len(self._recorded):
            raise EnvError(f"no recorded observation for turn {self.steps}")
        notes = recorded_notes(self._recorded[self.steps])
        san = notes.get("opponent")
        if not san:
            raise EnvError(f"turn {self.steps}: the recording has no opponent reply where one is due")
        try:
            return self.board.parse_san(san)
        except ValueError:
            raise EnvError(f"turn {self.steps}: the recorded reply {san!r} is not legal here") from None

    def replay(
        self, seed: int | None, actions: Sequence[str], observations: Sequence[str] | None = None
    ) -> History:
        """Rebuild a game. With `observations` (the environment's utterances as recorded: the opening,
        then the reply to each action), the opponent's recorded replies are pushed instead of asking the
        engine, so replay is deterministic and never starts it; each position is checked against the
        recorded FEN. Without, the engine plays again (and may answer differently)."""
        if observations is None:
            return super().replay(seed, actions)
        observations = list(observations)
        if len(observations) < len(actions) + 1:
            raise EnvError(f"replay needs {len(actions) + 1} observations, got {len(observations)}")
        self._recorded = observations
        try:
            self.reset(seed)
            self._check_recorded(0)
            for action in actions:
                self.step(action)
                self._check_recorded(self.steps)
        finally:
            self._recorded = None
        return list(self.history)

    def _check_recorded(self, index: int) -> None:
        assert self._recorded is not None
        fen = recorded_notes(self._recorded[index]).get("fen")
        if fen is not None and fen != self.board.fen():
            raise EnvError(
                f"turn {index}: the replayed position {self.board.fen()!r} is not the recorded {fen!r}"
            )

    def _over(self) -> bool:
        return self.board.outcome(claim_draw=True) is not None

    def _observation(self, notes: list[str]) -> str:
        return " | ".join([*notes, f"fen: {self.board.fen()}"])

    def _result_text(self, outcome: chess.Outcome) -> str:
        how = outcome.termination.name.lower().replace("_", " ")
        if outcome.winner is None:
            return f"draw: {how}"
        return f"{how}: {'you win' if outcome.winner == self.agent_colour else 'you lose'}"

    # --- helpers for policies and the UI

    def engine_move(self, elo: int | None = None, limit: chess.engine.Limit | None = None) -> str:
        """A move (SAN) for the side to move from a second engine process, at `elo` (None: full strength)."""
        options = strength_options("elo", elo) if elo is not None else strength_options("paper", None)
        self.helper.configure(options)
        played = self.helper.get().play(self.board, limit or self.limit, game=self.game_key)
        if played.move is None:
            raise EnvError("the engine returned no move")
        return self.board.san(played.move)

    def legal_actions(self) -> list[str] | None:
        if self.done:
            return []
        return sorted(self.board.san(m) for m in self.board.legal_moves)

    def render(self) -> dict[str, Any]:
        last = self.board.peek() if self.board.move_stack else None
        outcome = self.board.outcome(claim_draw=True)
        state = super().render()
        state.update(
            fen=self.board.fen(),
            svg=chess.svg.board(self.board, orientation=self.agent_colour, lastmove=last, size=360),
            last_move=self.moves[-1] if self.moves else None,
            moves=list(self.moves),
            turn="white" if self.board.turn == chess.WHITE else "black",
            agent_colour="white" if self.agent_colour == chess.WHITE else "black",
            result=outcome.result() if outcome else None,
            termination=outcome.termination.name.lower() if outcome else None,
        )
        return state

    def close(self) -> None:
        self.engine.close()
        self.helper.close()


@register_task("chess")
def make_chess(**options: Any) -> ChessEnv:
    return ChessEnv(**options)


def stockfish_behaviour(task: str):
    """Stockfish at an Elo drawn uniformly from BEHAVIOUR_ELO for each game, playing the agent's side."""

    def make_policy(rng: random.Random):
        elo_by_env: dict[int, int] = {}

        def policy(env: TextEnv, history: History) -> str:
            if not isinstance(env, ChessEnv):
                raise TypeError(f"a chess policy needs a ChessEnv, not {type(env).__name__}")
            if env.steps == 0 or id(env) not in elo_by_env:  # a new game: a new strength
                elo_by_env[id(env)] = rng.randint(*BEHAVIOUR_ELO)
            return env.engine_move(elo_by_env[id(env)])

        return policy

    return make_policy


behaviour("chess", "Stockfish at a random Elo in [1350, 2000] per game, playing the agent's side")(
    stockfish_behaviour("chess")
)
