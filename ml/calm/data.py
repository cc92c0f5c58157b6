"""Dialogue data for CALM: the scripted agent's imperfect dialogues, and task relabelling.

A dialogue record (one JSONL line) is {"context", "turns": [{"text", "is_action"}], "action", "success",
"relabelled"}. The data comes from the behaviour agent (env.behaviour_policy: it forgets constraints,
offers costlier flights and books early) talking to the rule-based customer, so it holds failures, as
the real corpus does.

Relabelling keeps a failed dialogue's goal and utterances and draws new flight tables (and
reservations) from the generator, keeping every fact the agent stated about an offered flight, until
the dialogue's final action is the correct one for the new table (up to 500 draws).
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ml.calm import language
from ml.calm.env import SLIP_RATES, FlightBookingEnv, agent_turn, draw_slips
from ml.calm.world import FIRST_ID, N_FLIGHTS, Context, is_success, parse_action, sample_flights
from ml.rl.envs.base import Turn

RELABEL_TRIES = 500
# Context seeds: training dialogues draw from the low range, held-out evaluation from this one up.
HELD_OUT_BASE = 1_000_000_000


def rollout(context: Context, seed: int, slip_rates: dict[str, float]) -> dict[str, Any]:
    """One dialogue of the behaviour agent with the rule-based customer."""
    env = FlightBookingEnv(context=context)
    env.reset(seed)
    slips = draw_slips(random.Random(f"slips:{seed}"), **slip_rates)
    while not env.done:
        env.step(agent_turn(context, env.history, slips, seed))
    return record(context, env.history)


def record(context: Context, history: list[Turn], relabelled: bool = False) -> dict[str, Any]:
    turns = [t for t in history if not t.text.startswith("[the call ends")]
    last = turns[-1] if turns and turns[-1].is_action else None
    action = parse_action(last.text) if last is not None else None
    return {
        "context": context.to_json(),
        "turns": [{"text": t.text.strip(), "is_action": t.is_action} for t in turns],
        "action": action.text() if action else None,
        "success": is_success(context, action),
        "relabelled": relabelled,
    }


def generate(n: int, seed: int = 0, slip_rates: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """`n` behaviour dialogues on contexts seeded seed·n … (disjoint from the held-out range)."""
    from ml.calm.world import sample_context

    rates = SLIP_RATES if slip_rates is None else slip_rates
    first = seed * 10_000_000
    return [rollout(sample_context(first + i), first + i, rates) for i in range(n)]


def stated_facts(turns: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """What the agent said about each flight it offered: a new table must keep these."""
    facts: dict[int, dict[str, Any]] = {}
    for turn in turns:
        offer = language.read_offer(turn["text"]) if turn["is_action"] else None
        if offer is not None:
            facts.setdefault(offer.pop("id"), {}).update(offer)
    return facts


def relabel(dialogue: dict[str, Any], rng: random.Random, tries: int = RELABEL_TRIES) -> Context | None:
    """A new context under which the dialogue's final action is correct, or None if none was found."""
    action = parse_action(dialogue["action"] or "")
    if action is None:
        return None
    original = Context.from_json(dialogue["context"])
    facts = stated_facts(dialogue["turns"])
    for _ in range(tries):
        flights = sample_flights(rng, original.goal)
        for flight_id, stated in facts.items():
            index = flight_id - FIRST_ID
            flights[index] = dataclasses.replace(flights[index], **stated)
        reservation = None
        if original.goal.intent in ("change", "cancel") and rng.random() < 0.5:
            reservation = rng.randrange(FIRST_ID, FIRST_ID + N_FLIGHTS)
        candidate = Context(original.goal, flights, reservation, original.seed)
        if is_success(candidate, action):
            return candidate
    return None


def relabel_all(
    dialogues: list[dict[str, Any]], seed: int = 0, tries: int = RELABEL_TRIES
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Relabelled copies of the failed dialogues, and counts of how many were relabelled or not."""
    rng = random.Random(seed)
    out, failed = [], 0
    for dialogue in dialogues:
        if dialogue["success"]:
            continue
        context = relabel(dialogue, rng, tries)
        if context is None:
            failed += 1
            continue
        turns = [Turn(t["text"], t["is_action"]) for t in dialogue["turns"]]
        out.append(record(context, turns, relabelled=True))
    return out, {"relabelled": len(out), "not_relabelled": failed}


def write_jsonl(records: Iterable[dict[str, Any]], path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")
    return path


def read_jsonl(path: Path | str) -> Iterator[dict[str, Any]]:
    """Dialogue records; a line that is not one raises ValueError naming the line."""
    with Path(path).open() as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
                Context.from_json(rec["context"])
                if not isinstance(rec["turns"], list):
                    raise TypeError("turns is not a list")
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: line {number} is not a dialogue record ({exc})") from None
            yield rec
