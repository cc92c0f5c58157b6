"""AirDialogue-style contexts: a customer's goal, the agent's flight table, and the correct final action.

Assay's own generator, following the public recipe (METHODS.md §3). The customer wants to book (0.8),
change (0.1) or cancel (0.1) a trip, has a name and 12 constraints, and never sees the table. The agent
sees a table of 30 round-trip flights (ids 1000-1029) and, for a change or a cancellation, the
customer's reservation half of the time (so about 10% of contexts have one).

The correct action is the cheapest flight that meets every constraint, `no_flight` when none does, and
`no_reservation` for a change or a cancellation without a reservation. Success is an exact match of
status, flight and name.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

AIRPORTS = ("ATL", "BOS", "DEN", "DFW", "JFK", "LAX", "MIA", "ORD", "SEA", "SFO", "IAD", "PHX")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TIMES = ("morning", "afternoon", "evening")
CLASSES = ("economy", "business")
AIRLINES = ("Delta", "United", "American", "Southwest", "JetBlue", "Alaska")
PRICES = tuple(range(100, 2001, 50))  # every fare is a multiple of $50
PRICE_CAPS = (200, 500, 1000)
FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Henry", "Iris", "Jack", "Kate", "Liam",
    "Maya", "Noah", "Olivia", "Paul", "Quinn", "Ruby", "Sam", "Tara", "Umar", "Vera", "Will", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brown", "Clark", "Davis", "Evans", "Flores", "Garcia", "Hill", "Jones", "Khan", "Lee",
    "Moore", "Nguyen", "Patel", "Reed", "Smith", "Turner", "Walker", "Young", "Zhang",
)  # fmt: skip
N_FLIGHTS = 30
FIRST_ID = 1000
INTENTS = ("book", "change", "cancel")
INTENT_WEIGHTS = (0.8, 0.1, 0.1)
STATUSES = ("book", "change", "cancel", "no_flight", "no_reservation")
ANY = "any"


@dataclass(frozen=True)
class Flight:
    id: int
    origin: str
    destination: str
    depart_month: str
    depart_day: int
    return_month: str
    return_day: int
    depart_time: str
    return_time: str
    cls: str
    airline: str
    price: int
    connections: int


@dataclass(frozen=True)
class Goal:
    """The customer's side: intent, name and the 12 constraints (`any` where they don't mind)."""

    intent: str
    name: str
    origin: str
    destination: str
    depart_month: str
    depart_day: int
    return_month: str
    return_day: int
    depart_time: str  # a time of day or any
    return_time: str
    cls: str  # economy, business or any
    airline: str  # an airline or any
    max_price: int | None  # None: price does not matter
    max_connections: int  # 0, 1 or 2 (2 is any)


@dataclass(frozen=True)
class Action:
    status: str
    name: str
    flight: int | None = None

    def text(self) -> str:
        """The agent's final utterance for this action (what `parse_action` reads back)."""
        parts = [self.status] + ([str(self.flight)] if self.flight is not None else []) + [self.name]
        return "ACTION: " + " | ".join(parts)


@dataclass
class Context:
    goal: Goal
    flights: list[Flight]
    reservation: int | None = None  # the flight id the customer holds, for a change or cancel
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def flight(self, flight_id: int) -> Flight | None:
        index = flight_id - FIRST_ID
        return self.flights[index] if 0 <= index < len(self.flights) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "goal": asdict(self.goal),
            "flights": [asdict(f) for f in self.flights],
            "reservation": self.reservation,
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Context:
        return cls(
            Goal(**data["goal"]),
            [Flight(**f) for f in data["flights"]],
            data.get("reservation"),
            data.get("seed"),
        )


# ----- the rules


def meets(flight: Flight, goal: Goal) -> bool:
    """Whether `flight` satisfies every one of the goal's 12 constraints."""
    return (
        flight.origin == goal.origin
        and flight.destination == goal.destination
        and flight.depart_month == goal.depart_month
        and flight.depart_day == goal.depart_day
        and flight.return_month == goal.return_month
        and flight.return_day == goal.return_day
        and goal.depart_time in (ANY, flight.depart_time)
        and goal.return_time in (ANY, flight.return_time)
        and goal.cls in (ANY, flight.cls)
        and goal.airline in (ANY, flight.airline)
        and (goal.max_price is None or flight.price <= goal.max_price)
        and flight.connections <= goal.max_connections
    )


def cheapest_match(flights: list[Flight], goal: Goal) -> Flight | None:
    matches = [f for f in flights if meets(f, goal)]
    return min(matches, key=lambda f: (f.price, f.id)) if matches else None


def correct_action(context: Context) -> Action:
    goal = context.goal
    if goal.intent in ("change", "cancel") and context.reservation is None:
        return Action("no_reservation", goal.name)
    if goal.intent == "cancel":
        return Action("cancel", goal.name)
    best = cheapest_match(context.flights, goal)
    if best is None:
        return Action("no_flight", goal.name)
    return Action(goal.intent, goal.name, best.id)


def parts_right(context: Context, action: Action | None) -> dict[str, bool]:
    """Whether the action's status, flight and name are each the correct ones (names compared without
    case or extra spaces); the success rate alone hides which part an agent gets wrong."""
    if action is None:
        return {"status": False, "flight": False, "name": False}
    want = correct_action(context)
    return {
        "status": action.status == want.status,
        "flight": action.flight == want.flight,
        "name": " ".join(action.name.lower().split()) == want.name.lower(),
    }


def is_success(context: Context, action: Action | None) -> bool:
    """Exact match of status, flight and name."""
    return all(parts_right(context, action).values())


# A whole word: "Actions first..." or "Actionable" is talk, not the final action.
ACTION_RE = re.compile(r"^\s*action\b\s*:?\s*(.*)$", re.IGNORECASE | re.DOTALL)


def parse_action(text: str) -> Action | None:
    """The final action in an agent utterance `ACTION: status [| flight] | name`, or None when the
    utterance is not one. A malformed action (unknown status, no name) still parses, to a failing action,
    so that the game ends as the agent asked."""
    match = ACTION_RE.match(text)
    if not match:
        return None
    parts = [p.strip() for p in re.split(r"[|,]", match.group(1)) if p.strip()]
    status = parts[0].lower().replace(" ", "_") if parts else ""
    flight = None
    rest = parts[1:]
    if rest and rest[0].isdigit():
        flight = int(rest[0])
        rest = rest[1:]
    return Action(status if status in STATUSES else "invalid", " ".join(rest), flight)


# ----- the generator


def _month_after(month: str, rng: random.Random) -> str:
    # Most trips return in the same month, some in the next.
    index = MONTHS.index(month)
    return MONTHS[(index + (1 if rng.random() < 0.3 else 0)) % 12]


def sample_goal(rng: random.Random) -> Goal:
    origin, destination = rng.sample(AIRPORTS, 2)
    depart_month = rng.choice(MONTHS)
    return_month = _month_after(depart_month, rng)
    depart_day = rng.randint(1, 28)
    return_day = rng.randint(depart_day + 1, 28) if return_month == depart_month and depart_day < 28 else None
    if return_day is None:
        return_month = MONTHS[(MONTHS.index(depart_month) + 1) % 12]
        return_day = rng.randint(1, 28)
    return Goal(
        intent=rng.choices(INTENTS, INTENT_WEIGHTS)[0],
        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        origin=origin,
        destination=destination,
        depart_month=depart_month,
        depart_day=depart_day,
        return_month=return_month,
        return_day=return_day,
        depart_time=rng.choice(TIMES + (ANY, ANY, ANY)),
        return_time=rng.choice(TIMES + (ANY, ANY, ANY)),
        cls=rng.choice(("economy", "economy", "business", ANY)),
        airline=rng.choice(AIRLINES[:3] + (ANY, ANY, ANY)),
        max_price=rng.choice(PRICE_CAPS + (1000, None, None)),
        max_connections=rng.choice((0, 1, 1, 2, 2)),
    )


def _flight(rng: random.Random, flight_id: int, goal: Goal, price: int) -> Flight:
    # 40% of the table flies the customer's route on the customer's dates, and those flights lean
    # towards the customer's wishes, so that a table often, but not always, holds a flight meeting every
    # constraint; the rest is spread over other trips.
    on_trip = rng.random() < 0.4

    def pick(wish: str, options: tuple[str, ...]) -> str:
        return wish if on_trip and wish != ANY and rng.random() < 0.4 else rng.choice(options)

    if on_trip:
        origin, destination = goal.origin, goal.destination
        dm, dd, rm, rd = goal.depart_month, goal.depart_day, goal.return_month, goal.return_day
    else:
        origin, destination = rng.sample(AIRPORTS, 2)
        dm = rng.choice(MONTHS)
        rm = _month_after(dm, rng)
        dd, rd = rng.randint(1, 28), rng.randint(1, 28)
    return Flight(
        id=flight_id,
        origin=origin,
        destination=destination,
        depart_month=dm,
        depart_day=dd,
        return_month=rm,
        return_day=rd,
        depart_time=pick(goal.depart_time, TIMES),
        return_time=pick(goal.return_time, TIMES),
        cls=pick(goal.cls, ("economy", "economy", "business")),
        airline=pick(goal.airline, AIRLINES),
        price=price,
        connections=rng.choice((0, 0, 1, 1, 2)),
    )


def sample_flights(rng: random.Random, goal: Goal) -> list[Flight]:
    # Fares are distinct within a table, so "the cheapest" is always one flight.
    prices = rng.sample(PRICES, N_FLIGHTS)
    return [_flight(rng, FIRST_ID + i, goal, prices[i]) for i in range(N_FLIGHTS)]


def sample_context(seed: int) -> Context:
    rng = random.Random(seed)
    goal = sample_goal(rng)
    flights = sample_flights(rng, goal)
    reservation = None
    if goal.intent in ("change", "cancel") and rng.random() < 0.5:
        reservation = rng.randrange(FIRST_ID, FIRST_ID + N_FLIGHTS)
    return Context(goal, flights, reservation, seed)
