"""Games of the LMRL-Gym text tasks played by people: start, move, the partner's move, export.

A game is stored as its task, options, seed and turns; the environment is rebuilt on every request by
replaying the recorded actions (`TextEnv.replay`). When the person plays the counterpart (the oracle in
twenty_questions, the buyer in car_dealer), their replies are fed back through a ScriptedOracle, which
raises NeedsReply where the game waits for the person. When the person plays the game against a model
as the counterpart (partner "checkpoint" in a task with an `oracle=` option), the model's raw replies
are recorded the same way and fed back on replay, so only a new reply needs the model: it is written
in the worker (status "thinking") like a model agent's move.

Every move runs in one transaction holding the game's row lock, and names the turn index it was made
for: a resubmission for a turn already played returns the current state and changes nothing.

Turn timeout: a move arriving after the player's deadline (last move + turn_seconds) ends the game as
abandoned instead of being applied; so does opening a game whose deadline has passed. An ended game of a
study completes its assignment once (through annotate.queue), whatever the ending. A game "thinking"
for longer than THINKING_LIMIT turns (2 x turn_seconds) since its last move fails with a clear error
when it is next opened or polled, so a lost worker never leaves the player waiting forever.
"""

from __future__ import annotations

import inspect
import json
import random
import sys
from datetime import timedelta
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from annotate import queue
from annotate.models import Assignment, Study, log_event
from annotate.roles import ADMIN, managed_studies, role_of
from evalhub.models import ModelCheckpoint
from ml.calm import is_calm_checkpoint
from ml.rl.envs import TASKS, EnvError, GameOver, TextEnv, make_env
from ml.rl.envs.scripted_oracle import NeedsReply, ScriptedOracle
from ml.rl.envs.trajectories import Trajectory, TurnRecord, header
from ml.rl.policies import scripted_policy

from .models import Game

MAX_MOVE_CHARS = 500
DEFAULT_TURN_SECONDS = 120
PARTNER_KINDS = ("builtin", "scripted", "checkpoint")
THINKING_LIMIT = 2  # a model may think for this many turn_seconds before the game fails


class GameError(Exception):
    """A request the game must refuse; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# ----- the tasks


@cache
def _has_counterpart(task: str) -> bool:
    """Whether a person can play the task's counterpart: its env takes an `oracle=` option."""
    try:
        env = make_env(task, oracle=ScriptedOracle())
    except (EnvError, TypeError):
        return False
    env.close()
    return True


# What a player needs to know, in the player's words (the module docstrings are written for developers).
TASK_GUIDE = {
    "maze_fo": "Maze, fully observed: reach the goal in as few moves as you can. Type 'move up', "
    "'move down', 'move left' or 'move right'; you see your position, the goal and the walls around you.",
    "maze_po": "Maze, partially observed: the same maze, but you only see the walls around you.",
    "textnav_fo": "Text-Nav: take the stale food from the living-room table and put it in the kitchen "
    "fridge. Commands like 'go to kitchen', 'open fridge', 'take stale food from table'; you see where you "
    "are and what you carry.",
    "textnav_po": "Text-Nav, partially observed: the same house, seen one room description at a time.",
    "wordle": "Wordle: guess the five-letter word in six tries ('s o a r e' or 'soare'). Feedback: g = right "
    "place, y = elsewhere in the word, b = absent. The hidden word keeps changing to any word that still fits.",
    "chess": "Chess against Stockfish: type moves in SAN ('e4', 'Nf3', 'O-O') or UCI ('e2e4'). An illegal "
    "move costs a point and is not played.",
    "endgames": "Endgames: mate a lone king with king and queen, or king and rook, against Stockfish.",
    "twenty_questions": "Twenty Questions: find the hidden object with yes/no questions ('Is it alive?'), "
    "then guess it ('Is it a dog?'). Or play the oracle and answer a questioner.",
    "guess_city": "Guess My City: ask anything about the hidden city ('What language do people speak?') "
    "and name it when you know. Or play the oracle and answer without naming the city.",
    "car_dealer": "Car Dealer: sell a car to a buyer with a hidden budget and wishes. Or play the buyer, "
    "and end with 'Decision=Accept' or 'Decision=Reject'.",
    "flight_booking": "Flight booking: as the agent, ask the customer for their name, trip, dates and "
    "wishes, find the cheapest flight in the table that meets all of them, and end the call with one line "
    "such as 'ACTION: book | 1012 | Ava Adams' or 'ACTION: no_flight | Ava Adams' (statuses: book, "
    "change, cancel, no_flight, no_reservation). Or play the customer: answer from your goal card, and "
    "accept or turn down the flights the agent offers.",
}


def _description(task: str) -> str:
    if task in TASK_GUIDE:
        return TASK_GUIDE[task]
    module = sys.modules.get(getattr(TASKS[task], "__module__", ""))
    doc = (getattr(module, "__doc__", None) or "").strip()
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def task_catalog() -> list[dict[str, Any]]:
    """Every registered task with what a person may play in it."""
    out = []
    for name in sorted(TASKS):
        roles = ["agent", "counterpart"] if _has_counterpart(name) else ["agent"]
        out.append({"name": name, "description": _description(name), "roles": roles})
    return out


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise GameError(f"Unknown task {task!r}; known tasks: {', '.join(sorted(TASKS))}.")


def resolve_partner(task: str, role: str, partner: dict[str, Any] | None) -> dict[str, Any]:
    """The partner spec, checked: playing the game means playing the env's built-in counterpart, or a
    registered checkpoint as the counterpart (oracle, buyer) where the task takes one; playing the
    counterpart needs a scripted policy or a registered checkpoint as the agent."""
    partner = dict(partner or {})
    if role == Game.Role.AGENT:
        kind = partner.get("kind") or "builtin"
        if kind == "checkpoint" and _has_counterpart(task):
            checkpoint = _checkpoint(partner.get("checkpoint_id"))
            if is_calm_checkpoint(checkpoint.path):
                raise GameError(
                    f"{checkpoint.name} is a CALM agent: it plays the agent, so play the customer against it."
                )
            return {"kind": "checkpoint", "checkpoint_id": checkpoint.pk, "name": checkpoint.name}
        if kind != "builtin":
            raise GameError(
                f"When you play {task} yourself, your partner is the game's built-in counterpart"
                + (" or a model (checkpoint)." if _has_counterpart(task) else ".")
            )
        return {"kind": "builtin"}
    if role != Game.Role.COUNTERPART:
        raise GameError("human_role is agent or counterpart.")
    if not _has_counterpart(task):
        raise GameError(f"{task} has no counterpart a person can play; play it as the agent.")
    kind = partner.get("kind") or "scripted"
    if kind == "scripted":
        return {"kind": "scripted"}
    if kind == "checkpoint":
        checkpoint = _checkpoint(partner.get("checkpoint_id"))
        return {"kind": "checkpoint", "checkpoint_id": checkpoint.pk, "name": checkpoint.name}
    raise GameError(f"Unknown partner kind {kind!r}; expected scripted or checkpoint.")


def _checkpoint(raw: Any) -> ModelCheckpoint:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        pk = None
    checkpoint = ModelCheckpoint.objects.filter(pk=pk).first() if pk and 0 < pk < 2**63 else None
    if checkpoint is None:
        raise GameError(f"Unknown checkpoint {raw!r}.")
    if checkpoint.kind not in (ModelCheckpoint.Kind.CAUSAL_LM, ModelCheckpoint.Kind.AGENT):
        raise GameError(f"Checkpoint {checkpoint.name} is not a causal LM or dialogue agent.")
    if not checkpoint.exists:
        raise GameError(f"Checkpoint {checkpoint.name} is no longer on this server.")
    return checkpoint


def playable_checkpoints() -> QuerySet:
    return ModelCheckpoint.objects.filter(
        kind__in=[ModelCheckpoint.Kind.CAUSAL_LM, ModelCheckpoint.Kind.AGENT]
    )


# ----- rebuilding a game's environment


def _replies(game: Game) -> list[str]:
    """The counterpart's recorded replies: the person's (as the counterpart) or the model's (as the
    oracle when the person plays the game)."""
    return [t["reply"] for t in game.turns if not t["is_action"] and "reply" in t]


def _model_oracle(game: Game) -> bool:
    return game.human_role == Game.Role.AGENT and game.partner.get("kind") == "checkpoint"


class RecordedOracle(ScriptedOracle):
    """Recorded replies first; then the `live` oracle (a model, in the worker), whose replies are kept in
    `new_replies`, or NeedsReply where there is none (the game waits for the model)."""

    def __init__(self, replies, live=None):
        super().__init__(replies)
        self.live = live
        self.new_replies: list[str] = []

    def reply(self, task, secret, history, utterance):
        if self.used < len(self.replies) or self.live is None:
            return super().reply(task, secret, history, utterance)
        self.secret = dict(secret)
        text = self.live.reply(task, secret, history, utterance)
        self.new_replies.append(text)
        return text


def build_env(
    game: Game,
    extra_reply: str | None = None,
    n_actions: int | None = None,
    oracle: RecordedOracle | None = None,
) -> tuple[TextEnv, bool]:
    """The game's env after replaying its turns (the first `n_actions` actions, if given), and whether
    it waits for a reply: the person's as the counterpart, or the model's as the oracle. `oracle`
    replaces the model oracle's recorded replies (in the worker: one with the model live)."""
    options = dict(game.env_options)
    if game.human_role == Game.Role.COUNTERPART:
        replies = _replies(game) + ([extra_reply] if extra_reply is not None else [])
        options["oracle"] = ScriptedOracle(replies)
    elif _model_oracle(game):
        options["oracle"] = oracle or RecordedOracle(_replies(game))
    try:
        env = make_env(game.task, **options)
    except (EnvError, TypeError) as exc:
        raise GameError(f"Cannot set up {game.task}: {exc}") from None
    actions = [t["text"] for t in game.turns if t["is_action"]]
    if n_actions is not None:
        actions = actions[:n_actions]
    replay_options = {}
    if game.turns and "observations" in inspect.signature(env.replay).parameters:
        # An env that is not deterministic (chess against an engine) re-applies the recorded replies:
        # the opening observation, then the reply to each action. (A new game has none: it starts live.)
        replay_options["observations"] = [t["text"] for t in game.turns if not t["is_action"]]
    try:
        env.replay(game.seed, actions, **replay_options)
    except NeedsReply:
        return env, True
    except (EnvError, GameOver) as exc:
        env.close()
        if not actions:
            raise GameError(f"Cannot set up {game.task}: {exc}") from None
        raise GameError(f"This game can no longer be replayed: {exc}", status=409) from None
    return env, False


# ----- starting and playing


def _turn(text: str, is_action: bool, by: str, reward: float = 0.0, **extra: Any) -> dict[str, Any]:
    return {"text": text, "is_action": is_action, "reward": float(reward), "by": by, **extra}


def start_game(
    user,
    task: str,
    options: dict[str, Any] | None = None,
    partner: dict[str, Any] | None = None,
    human_role: str = Game.Role.AGENT,
    seed: int | None = None,
    study: Study | None = None,
    assignment: Assignment | None = None,
    turn_seconds: int | None = None,
) -> Game:
    _check_task(task)
    if options is not None and not isinstance(options, dict):
        raise GameError("env_options is a JSON object.")
    if options and "oracle" in options:
        raise GameError("The oracle is chosen by the partner, not by env_options.")
    partner = resolve_partner(task, human_role, partner)
    if seed is None:
        seed = random.randrange(2**31)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise GameError("seed is a whole number from 0.")
    if turn_seconds is not None and (
        not isinstance(turn_seconds, int) or isinstance(turn_seconds, bool) or not 10 <= turn_seconds <= 86400
    ):
        raise GameError("turn_seconds is a whole number of seconds from 10 to 86400.")
    game = Game(
        player=user,
        task=task,
        env_options=options or {},
        human_role=human_role,
        partner=partner,
        seed=seed,
        study=study,
        assignment=assignment,
        turn_seconds=turn_seconds or DEFAULT_TURN_SECONDS,
        last_move_at=timezone.now(),
    )
    env, _ = build_env(game)
    game.turns = [_turn(t.text, t.is_action, "env") for t in env.history]
    with transaction.atomic():
        game.save()
        log_event("dialogue.started", actor=user, study=study, obj=game, task=task, role=human_role)
        if human_role == Game.Role.COUNTERPART:
            _partner_moves(game, env)
            game.save()
    env.close()
    return game


def study_settings(study: Study, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The game settings of a dialogue study (config: task, env_options, partner, human_role,
    turn_seconds) with an item's overrides (payload: seed, task, env_options)."""
    config = study.config if isinstance(study.config, dict) else {}
    payload = payload if isinstance(payload, dict) else {}
    return {
        "task": payload.get("task") or config.get("task") or "",
        "options": payload.get("env_options") or config.get("env_options") or {},
        "partner": config.get("partner") or {},
        "human_role": config.get("human_role") or Game.Role.AGENT,
        "seed": payload.get("seed"),
        "turn_seconds": config.get("turn_seconds"),
    }


def start_study_game(study: Study, assignment: Assignment) -> Game:
    """The game of an assignment, started on first visit (one per assignment, even from two tabs)."""
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().select_related("item").get(pk=assignment.pk)
        existing = Game.objects.filter(assignment=locked).first()
        if existing:
            return existing
        settings = study_settings(study, locked.item.payload)
        return start_game(locked.annotator, study=study, assignment=locked, **settings)


def deadline(game: Game):
    """When the player's current turn times out, or None while it is not their turn."""
    if game.status != Game.Status.ACTIVE:
        return None
    return game.last_move_at + timedelta(seconds=game.turn_seconds)


def thinking_deadline(game: Game):
    """When a model partner that is still thinking counts as lost, or None while none is thinking."""
    if game.status != Game.Status.THINKING:
        return None
    return game.last_move_at + timedelta(seconds=THINKING_LIMIT * game.turn_seconds)


def expire_if_late(game: Game) -> Game:
    """End the game as abandoned if the player's turn has timed out, or as failed if the model has been
    thinking too long (a lost worker); checked under the row lock."""
    due = deadline(game) or thinking_deadline(game)
    if due is None or timezone.now() <= due:
        return game
    with transaction.atomic():
        locked = Game.objects.select_for_update().get(pk=game.pk)
        now = timezone.now()
        due, stuck = deadline(locked), thinking_deadline(locked)
        if due is not None and now > due:
            _end(locked, Game.Status.ABANDONED, "The turn timed out.")
            locked.save()
        elif stuck is not None and now > stuck:
            seconds = THINKING_LIMIT * locked.turn_seconds
            _end(
                locked,
                Game.Status.FAILED,
                f"Your partner (the model) did not answer within {seconds} seconds; the worker may be "
                "down. Start a new game.",
            )
            locked.save()
        return locked


def play(game_id: int, user, text: Any, turn_index: Any) -> tuple[Game, bool]:
    """Apply the player's move made at `turn_index` (the number of turns they saw). Returns the game and
    whether the move was applied (False: it was already, or the game ended by timing out)."""
    try:
        turn_index = int(turn_index)
    except (TypeError, ValueError):
        raise GameError("turn is the number of turns shown when the move was made.") from None
    if not isinstance(text, str):
        raise GameError("A move is text.")
    text = text.strip()
    with transaction.atomic():
        game = Game.objects.select_for_update().filter(pk=game_id, player_id=user.pk).first()
        if game is None:
            raise GameError("No such game.", status=404)
        if turn_index < len(game.turns):
            return game, False  # a resubmission of a move already applied
        if turn_index > len(game.turns):
            raise GameError("That turn has not happened yet; reload the game.", status=409)
        if game.is_over:
            raise GameError("The game is over.", status=409)
        if game.status == Game.Status.THINKING:
            raise GameError("Wait for your partner's move.", status=409)
        due = deadline(game)
        if due is not None and timezone.now() > due:
            _end(game, Game.Status.ABANDONED, "The turn timed out.")
            game.save()
            return game, False
        if not text:
            raise GameError("Type a move first.")
        if len(text) > MAX_MOVE_CHARS:
            raise GameError(f"A move is at most {MAX_MOVE_CHARS} characters.")
        if game.human_role == Game.Role.AGENT:
            _human_action(game, text)
        else:
            _human_reply(game, text)
        game.last_move_at = timezone.now()
        game.save()
        return game, True


def _human_action(game: Game, text: str) -> None:
    env, _ = build_env(game)
    try:
        result = env.step(text)
    except NeedsReply:  # the model oracle must answer: in the worker
        game.turns.append(_turn(env.history[-1].text, True, "human"))
        game.status = Game.Status.THINKING
        _enqueue_agent_move(game.pk, len(game.turns))
        env.close()
        return
    game.turns += [
        _turn(env.history[-2].text, True, "human", result.reward),
        _turn(result.observation, False, "env", **_flags(result.info)),
    ]
    game.total_return = env.total_reward
    if env.done:
        _end(game, Game.Status.FINISHED)
    env.close()


def _human_reply(game: Game, text: str) -> None:
    if not game.turns or not game.turns[-1]["is_action"]:
        raise GameError("Your partner has not asked anything yet.", status=409)
    env, waiting = build_env(game, extra_reply=text)
    if waiting:  # cannot happen with consistent turns: every recorded action now has its reply
        raise GameError("This game can no longer be replayed.", status=409)
    reward = env.total_reward - game.total_return
    game.turns[-1]["reward"] = float(reward)
    game.turns.append(_turn(env.history[-1].text, False, "human", reply=text, **_truncated(env)))
    game.total_return = env.total_reward
    if env.done:
        _end(game, Game.Status.FINISHED)
    else:
        _partner_moves(game, env)
    env.close()


def _flags(info: dict[str, Any]) -> dict[str, Any]:
    return {"truncated": True} if info.get("truncated") else {}


def _truncated(env: TextEnv) -> dict[str, Any]:
    return {"truncated": True} if env.done and env.steps >= env.max_steps else {}


# ----- the partner (the agent, when the person plays the counterpart)


def _partner_moves(game: Game, env: TextEnv) -> None:
    """Let the partner play until it is the person's turn again or the game ends. A checkpoint partner
    moves in a Celery task: the game is "thinking" until it has."""
    while not env.done and not game.is_over:
        if game.partner.get("kind") == "checkpoint":
            game.status = Game.Status.THINKING
            _enqueue_agent_move(game.pk, len(game.turns))
            return
        policy = scripted_policy(game.task, game.seed * 1_000_003 + env.steps, "solver")
        if apply_agent_action(game, env, policy(env, list(env.history))):
            return


def apply_agent_action(game: Game, env: TextEnv, action: str) -> bool:
    """Play the partner's action; True when the game now waits for the person's reply."""
    try:
        result = env.step(action)
    except NeedsReply:
        game.turns.append(_turn(env.history[-1].text, True, "agent"))
        game.status = Game.Status.ACTIVE
        return True
    # The env answered without the person (a rule of the task ended or settled the turn).
    game.turns += [
        _turn(env.history[-2].text, True, "agent", result.reward),
        _turn(result.observation, False, "env", **_flags(result.info)),
    ]
    game.total_return = env.total_reward
    if env.done:
        _end(game, Game.Status.FINISHED)
    return False


def _enqueue_agent_move(game_id: int, turn_index: int) -> None:
    from annotate.dialogue.tasks import agent_move

    def send():
        try:
            agent_move.apply_async(args=[game_id, turn_index], queue="gpu")
        except Exception as exc:  # the broker is down: the game fails visibly instead of thinking forever
            Game.objects.filter(pk=game_id, status=Game.Status.THINKING).update(
                status=Game.Status.FAILED, error=f"Could not reach the task broker: {exc}"
            )

    transaction.on_commit(send)


def agent_move(game_id: int, turn_index: int) -> str:
    """The checkpoint partner's move (the body of the Celery task). Slow work happens before the lock;
    the move is applied only if the game still waits for exactly this turn."""
    from ml.rl.policies import load_agent

    game = Game.objects.filter(pk=game_id).first()
    if game is None or game.status != Game.Status.THINKING or len(game.turns) != turn_index:
        return "stale"
    if _model_oracle(game):
        return oracle_move(game, turn_index)
    try:
        checkpoint = ModelCheckpoint.objects.get(pk=game.partner.get("checkpoint_id"))
        env, _ = build_env(game)
        action = _load_policy(checkpoint.path, load_agent)(env, list(env.history))
    except Exception as exc:  # a broken checkpoint must end the game visibly, not leave it thinking
        return _fail_thinking(game_id, turn_index, f"The model could not move: {exc}")
    with transaction.atomic():
        game = Game.objects.select_for_update().get(pk=game_id)
        if game.status != Game.Status.THINKING or len(game.turns) != turn_index:
            return "stale"
        game.status = Game.Status.ACTIVE
        if not apply_agent_action(game, env, action) and not game.is_over:
            _partner_moves(game, env)
        game.last_move_at = timezone.now()
        game.save()
    env.close()
    return "moved"


def _fail_thinking(game_id: int, turn_index: int, message: str) -> str:
    """End a game that is still waiting on the model's turn `turn_index` as failed, with `message`."""
    with transaction.atomic():
        game = Game.objects.select_for_update().get(pk=game_id)
        if game.status == Game.Status.THINKING and len(game.turns) == turn_index:
            _end(game, Game.Status.FAILED, message)
            game.save()
    return "failed"


def oracle_move(game: Game, turn_index: int) -> str:
    """The checkpoint oracle's reply to the person's last action (the Celery task's body when the person
    plays the game): replay up to that action from the recorded replies, then let the model answer it."""
    from ml.rl.envs.lm_oracle import LMOracle

    game_id = game.pk
    try:
        checkpoint = ModelCheckpoint.objects.get(pk=game.partner.get("checkpoint_id"))
        oracle = RecordedOracle(_replies(game), _load_policy(checkpoint.path, LMOracle))
        env, waiting = build_env(game, oracle=oracle)
        if waiting or not game.turns[-1]["is_action"]:
            raise GameError("the recorded game does not end with an action awaiting a reply")
    except Exception as exc:  # a broken checkpoint must end the game visibly, not leave it thinking
        return _fail_thinking(game_id, turn_index, f"The model could not answer: {exc}")
    with transaction.atomic():
        game = Game.objects.select_for_update().get(pk=game_id)
        if game.status != Game.Status.THINKING or len(game.turns) != turn_index:
            return "stale"
        game.status = Game.Status.ACTIVE
        game.turns[-1]["reward"] = float(env.total_reward - game.total_return)
        recorded = {"reply": oracle.new_replies[-1]} if oracle.new_replies else {}
        game.turns.append(_turn(env.history[-1].text, False, "env", **recorded, **_truncated(env)))
        game.total_return = env.total_reward
        if env.done:
            _end(game, Game.Status.FINISHED)
        game.last_move_at = timezone.now()
        game.save()
    env.close()
    return "moved"


_policies: dict[str, Any] = {}


def _load_policy(path: str, factory):
    # One loaded model per worker process (as an agent or as an oracle): loading is slower than a move.
    key = f"{factory.__module__}.{factory.__qualname__}:{path}"
    if key not in _policies:
        _policies.clear()
        _policies[key] = factory(path)
    return _policies[key]


# ----- ending


def _end(game: Game, status: str, error: str = "") -> None:
    """Finish the game (inside the caller's transaction) and complete its assignment, once."""
    game.status = status
    game.error = error
    log_event(f"dialogue.{status}", actor=game.player, study=game.study, obj=game, ret=game.total_return)
    if game.assignment_id:
        answer = {
            "game": game.pk,
            "status": status,
            "return": game.total_return,
            "score": normalised_score(game),
            "turns": len(game.turns),
        }
        try:
            queue.submit(game.assignment_id, game.player, answer, client={"interface": "dialogue"})
        except queue.QueueError as exc:  # e.g. the slot went to someone else after expiry
            game.error = (error + " " if error else "") + f"(Not counted in the study: {exc})"


def normalised_score(game: Game) -> float | None:
    norm = _normalisation(game.task)
    return round(norm.score(game.total_return), 2) if norm else None


@cache
def _normalisation(task: str):
    if task not in TASKS:
        return None
    try:
        env = make_env(task, oracle=ScriptedOracle()) if _has_counterpart(task) else make_env(task)
    except (EnvError, TypeError):
        return None
    norm = getattr(env, "normalisation", None)
    env.close()
    return norm


# ----- who sees what


def visible_games(user) -> QuerySet:
    """Players see their own games; study owners (and admins) the games of their studies."""
    if role_of(user) == ADMIN:
        return Game.objects.all()
    if not user.is_authenticated:
        return Game.objects.none()
    return Game.objects.filter(Q(player=user) | Q(study__in=managed_studies(user)))


def visible_state(game: Game, state: dict[str, Any], user=None) -> dict[str, Any]:
    """env.render() as the viewer may see it. A person playing the counterpart (the customer) must not
    see the agent's side of the game, the keys named in state["agent_only"] (the flight table); anyone
    else who may see the game (its study's owner, an admin) sees it all. No user counts as the player."""
    if game.human_role != Game.Role.COUNTERPART or (user is not None and user.pk != game.player_id):
        return state
    hidden = set(state.get("agent_only") or ()) | {"agent_only"}
    return {key: value for key, value in state.items() if key not in hidden}


# ----- export


def player_names(game: Game) -> dict[str, str]:
    human = f"human:{game.player_id}:{game.player.get_username()}"
    kind = game.partner.get("kind", "builtin")
    if kind == "checkpoint":
        partner = f"checkpoint:{game.partner.get('checkpoint_id')}:{game.partner.get('name', '')}"
    elif kind == "scripted":
        partner = f"scripted:{game.task}"
    else:
        partner = "env"
    if game.human_role == Game.Role.AGENT:  # the partner: the env, with a checkpoint as its oracle
        return {"agent": human, "environment": partner}
    return {"agent": partner, "environment": human}


def game_trajectory(game: Game) -> Trajectory:
    turns = [TurnRecord(t["text"], bool(t["is_action"]), float(t.get("reward", 0.0))) for t in game.turns]
    truncated = any(t.get("truncated") for t in game.turns)
    return Trajectory(game.task, game.seed, turns, player_names(game), game.status == "finished", truncated)


def games_jsonl(games, **extra: Any) -> str:
    """The games as a trajectory JSONL file (header with generator "human"), as trajectories.write_jsonl
    writes it."""
    games = list(games)
    tasks = sorted({g.task for g in games})
    head = header(tasks[0] if len(tasks) == 1 else ",".join(tasks), "human", 0, n=len(games), **extra)
    lines = [json.dumps({"header": head})] + [json.dumps(game_trajectory(g).to_json()) for g in games]
    return "\n".join(lines) + "\n"


def legal_hint(env: TextEnv, limit: int = 12) -> list[str]:
    """The legal actions as buttons, when the task lists a short set."""
    try:
        actions = env.legal_actions()
    except Exception:
        return []
    return list(actions) if actions and len(actions) <= limit else []
