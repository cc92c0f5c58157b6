"""Flight booking (task `flight_booking`): the agent talks to a customer and ends with one action.

The agent sees the flight table (`env.context.flights`) and the customer's reservation; the customer
sees only its goal (`env.secret`, the goal card). The history holds the dialogue alone, so a plain LM
reading it knows nothing of the table: table-awareness is the CALM model's job.

An agent utterance `ACTION: status [| flight] | name` ends the game: reward 1 when it is exactly the
correct action (world.correct_action), else 0. A game also ends, with 0, after 12 agent turns.

The customer is the rule-based simulator (Customer) unless `oracle=` names another counterpart: a
person in the browser, or a local LM (ml.rl.envs.lm_oracle.LMOracle) through the same Oracle protocol.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ml.calm import language
from ml.calm.world import (
    ANY,
    Action,
    Context,
    Flight,
    Goal,
    correct_action,
    is_success,
    parse_action,
    sample_context,
)
from ml.rl.envs.base import History, Normalisation, StepResult, TextEnv, Turn, register_task
from ml.rl.envs.datasets import behaviour
from ml.rl.envs.oracle import Oracle

TASK = "flight_booking"
MAX_AGENT_TURNS = 12
ACCEPT_RE = re.compile(r"\byes\b|go ahead|works for me|sounds good|please do", re.IGNORECASE)


def goal_card(goal: Goal) -> dict[str, str]:
    """The customer's goal in words: what a person playing the customer is shown."""
    return {
        "intent": goal.intent,
        "name": goal.name,
        "route": f"{goal.origin} to {goal.destination} and back",
        "leave": f"{goal.depart_month} {goal.depart_day}, {goal.depart_time} time of day"
        if goal.depart_time == ANY
        else f"{goal.depart_month} {goal.depart_day}, in the {goal.depart_time}",
        "return": f"{goal.return_month} {goal.return_day}, {goal.return_time} time of day"
        if goal.return_time == ANY
        else f"{goal.return_month} {goal.return_day}, in the {goal.return_time}",
        "class": goal.cls,
        "airline": goal.airline,
        "budget": "no limit" if goal.max_price is None else f"at most ${goal.max_price}",
        "connections": {0: "direct only", 1: "at most 1"}.get(goal.max_connections, "any"),
    }


class Customer:
    """The rule-based customer: answers what it is asked, accepts an offered flight whose stated facts
    meet its constraints, and turns it down with the reason otherwise. Its wording is seeded by the
    game and the turn, so a replayed game gets the same replies."""

    def __init__(self, goal: Goal, seed: int | None):
        self.goal = goal
        self.seed = seed

    def reply(self, history: Sequence[Turn], utterance: str) -> str:
        rng = random.Random(f"{self.seed}:{len(history)}")
        offer = language.read_offer(utterance)
        if offer is not None:
            problems = language.offer_problems(offer, self.goal)
            if problems:
                return f"No, {problems[0]}."
            return rng.choice(("Yes, please book it.", "That works for me, go ahead.", "Sounds good, yes."))
        asked = language.asked_slots(utterance)
        if asked:
            return " ".join(language.answer(slot, self.goal, rng) for slot in asked)
        if re.search(r"\bsorry\b|no flights?|could not find|cannot find", utterance, re.IGNORECASE):
            return "Okay, thank you anyway."
        return rng.choice(("Sorry, could you ask that again?", "I am not sure what you mean."))


class FlightBookingEnv(TextEnv):
    name = TASK
    max_steps = MAX_AGENT_TURNS
    agent_role = "agent"
    # Success is 0 or 1: the scale runs from always failing to always succeeding, with the behaviour
    # data's success rate as the midpoint (0.761: behaviour_policy, rng 0, seeds 0-1999).
    normalisation = Normalisation(0.0, 0.76, 1.0, "measured")

    def __init__(self, oracle: Oracle | None = None, context: Context | None = None):
        super().__init__()
        self.oracle = oracle
        self.fixed_context = context
        self.context: Context | None = None
        self.secret: dict[str, str] = {}
        self.action: Action | None = None

    def _reset(self) -> str:
        self.context = self.fixed_context or sample_context(self.seed if self.seed is not None else 0)
        self.secret = goal_card(self.context.goal)
        self.customer = Customer(self.context.goal, self.seed)
        self.action = None
        return language.opening(self.context.goal, random.Random(self.seed))

    def _step(self, action: str) -> StepResult:
        final = parse_action(action)
        if final is not None:
            self.action = final
            success = is_success(self.context, final)
            want = correct_action(self.context)
            verdict = "correct" if success else f"wrong; the correct action was {want.text()[8:]}"
            return StepResult(f"[the call ends: {verdict}]", float(success), True, {"success": success})
        history = self.history[:-1]
        if self.oracle is not None:
            reply = self.oracle.reply(TASK, self.secret, history, action)
        else:
            reply = self.customer.reply(history, action)
        return StepResult(reply, 0.0, False)

    def render(self) -> dict[str, Any]:
        state = super().render()
        if self.context is None:
            return state
        flights = self.context.flights
        state["flights"] = {
            "columns": ["id", "from", "to", "leave", "return", "times", "class", "airline", "price", "stops"],
            "rows": [
                [
                    f.id,
                    f.origin,
                    f.destination,
                    f"{f.depart_month} {f.depart_day}",
                    f"{f.return_month} {f.return_day}",
                    f"{f.depart_time} / {f.return_time}",
                    f.cls,
                    f.airline,
                    f"${f.price}",
                    f.connections,
                ]
                for f in flights
            ],
        }
        state["reservation"] = (
            "none" if self.context.reservation is None else f"flight {self.context.reservation}"
        )
        state["agent_only"] = ["flights", "reservation"]  # the customer never sees the table
        if self.done and self.action is not None:
            state["action"] = self.action.text()
        return state


@register_task(TASK)
def make_flight_booking(oracle: Oracle | None = None, context: Context | None = None) -> FlightBookingEnv:
    return FlightBookingEnv(oracle=oracle, context=context)


# ----- the scripted agent


QUESTIONS = {
    "name": ("May I know your name?", "Can I have your name, please?"),
    "route": ("Where are you flying from and to?", "What are your departure and destination airports?"),
    "dates": ("What are your travel dates?", "When do you leave and when do you return?"),
    "times": ("What times do you prefer for your flights?", "Any preferred times for your flights?"),
    "price": ("What is your budget?", "How much can you pay?"),
    "connections": ("How many connections are ok?", "Do you need a direct flight?"),
    "class": ("Which class do you want?", "Economy or business class?"),
    "airline": ("Do you have a preferred airline?", "Any airline you prefer?"),
}
TRIP_SLOTS = ("route", "dates", "times", "price", "connections", "class", "airline")
SLOT_KEYS = {
    "name": ("name",),
    "route": ("origin", "destination"),
    "dates": ("depart_month", "depart_day", "return_month", "return_day"),
    "times": ("depart_time", "return_time"),
    "price": ("max_price",),
    "connections": ("max_connections",),
    "class": ("cls",),
    "airline": ("airline",),
}


@dataclass(frozen=True)
class Slips:
    """A scripted agent's mistakes in one game: a constraint it never asks about (and so ignores), an
    offer of a matching flight that is not the cheapest, and booking straight after the trip's route
    and dates, without asking the rest or offering the flight."""

    forget: str | None = None
    wrong_flight: bool = False
    premature: bool = False


def draw_slips(rng: random.Random, forget: float, wrong_flight: float, premature: float) -> Slips:
    return Slips(
        forget=rng.choice(TRIP_SLOTS[2:]) if rng.random() < forget else None,
        wrong_flight=rng.random() < wrong_flight,
        premature=rng.random() < premature,
    )


def _intent(history: History) -> str:
    text = " ".join(t.text for t in history if not t.is_action).lower()
    return "cancel" if "cancel" in text else "change" if "change" in text else "book"


def _offers(history: History) -> list[tuple[int, bool]]:
    """Each flight the agent offered, and whether the customer's next line accepted it."""
    out = []
    for i, turn in enumerate(history):
        offer = language.read_offer(turn.text) if turn.is_action else None
        if offer is not None:
            reply = history[i + 1].text if i + 1 < len(history) else ""
            out.append((offer["id"], bool(ACCEPT_RE.search(reply))))
    return out


def agent_turn(context: Context, history: History, slips: Slips = Slips(), order_seed: int = 0) -> str:
    """The scripted agent's next utterance, from the table and the dialogue so far (stateless, so a
    replayed game gets the same moves)."""
    known: dict[str, Any] = {}
    for turn in history:
        if not turn.is_action:
            known.update(language.read_constraints(turn.text))
    asked = {slot for turn in history if turn.is_action for slot in language.asked_slots(turn.text)}
    intent = _intent(history)
    missing = [s for s in ("name",) + TRIP_SLOTS if not all(k in known for k in SLOT_KEYS[s])]
    name = known.get("name", "")
    if "name" in missing and "name" not in asked:
        return QUESTIONS["name"][order_seed % 2]
    if intent in ("change", "cancel") and context.reservation is None:
        return Action("no_reservation", name).text()
    if intent == "cancel":
        return Action("cancel", name).text()

    rng = random.Random(order_seed)
    order = list(TRIP_SLOTS[:2]) + rng.sample(TRIP_SLOTS[2:], len(TRIP_SLOTS) - 2)
    to_ask = [s for s in order if s in missing and s not in asked and s != slips.forget]
    if slips.premature and "route" not in to_ask and "dates" not in to_ask:
        to_ask = []
    if to_ask:
        pair = to_ask[:2] if rng.random() < 0.6 else to_ask[:1]
        questions = " ".join(QUESTIONS[s][rng.randrange(2)] for s in pair)
        # Agents address the customer by name, as people do; it is also the name the final action needs.
        turn_rng = random.Random(f"{order_seed}:{len(history)}")
        if name and turn_rng.random() < 0.7:
            questions = (
                turn_rng.choice(("Thanks, {}.", "Got it, {}.", "Okay, {}.")).format(name) + " " + questions
            )
        return questions

    offers = _offers(history)
    status = "change" if intent == "change" else "book"
    if offers and offers[-1][1]:
        return Action(status, name, offers[-1][0]).text()
    refused = {flight for flight, _ in offers}
    matches = sorted(
        (f for f in context.flights if f.id not in refused and meets_known(f, known)),
        key=lambda f: f.price,
    )
    if not matches or len(refused) >= 2:
        return Action("no_flight", name).text()
    pick = matches[1] if slips.wrong_flight and len(matches) > 1 else matches[0]
    if slips.premature:
        return Action(status, name, pick.id).text()
    return language.describe(pick)


def meets_known(flight: Flight, known: dict[str, Any]) -> bool:
    """Whether a flight meets the constraints the agent has learned (an unknown one counts as any)."""
    for key, wish in known.items():
        if key == "name" or wish == ANY:
            continue
        if key == "max_price":
            if wish is not None and flight.price > wish:
                return False
        elif key == "max_connections":
            if flight.connections > wish:
                return False
        elif getattr(flight, key) != wish:
            return False
    return True


def solver_policy(env: FlightBookingEnv, history: History) -> str:
    """The scripted agent without slips: asks everything, offers the cheapest match, books it."""
    return agent_turn(env.context, history, Slips(), env.seed or 0)


# The behaviour data's slip rates (see ml.calm.data): imperfect, as the real corpus is.
SLIP_RATES = {"forget": 0.4, "wrong_flight": 0.3, "premature": 0.25}


@behaviour(TASK, "scripted agent: forgets a constraint 40%, offers a costlier match 30%, books early 25%")
def behaviour_policy(rng: random.Random):
    base = rng.random()

    def policy(env: FlightBookingEnv, history: History) -> str:
        # The slips are drawn once per game (from the game's seed), so every turn agrees on them.
        slips = draw_slips(random.Random(f"{base}:{env.seed}"), **SLIP_RATES)
        return agent_turn(env.context, history, slips, env.seed or 0)

    return policy
