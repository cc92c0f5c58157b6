"""What the customer and the agent say about a trip, and how each side reads the other.

Both simulated sides talk through these templates and parsers: the customer answers the slots an agent
utterance asks about, and judges a flight by what the agent says of it; the scripted agent reads the
constraints out of the customer's replies (a person's free text included, as far as it uses the usual
words). Templates vary with the seeded rng, so the data is not one fixed script.
"""

from __future__ import annotations

import random
import re
from typing import Any

from ml.calm.world import AIRLINES, AIRPORTS, ANY, CLASSES, FIRST_ID, MONTHS, N_FLIGHTS, TIMES, Flight, Goal

SLOTS = ("name", "route", "dates", "times", "price", "connections", "class", "airline")

# What an agent utterance asks about. The offer of a flight is read separately (read_offer).
ASKS = {
    "name": r"\bname\b|who am i speaking|who is calling",
    "route": r"\bfrom\b|\bwhere\b|airports?|destination|route|cities|city|heading",
    "dates": r"\bdates?\b|\bwhen\b|\bdays?\b|\bmonth",
    "times": r"\btimes?\b|time of day|morning|afternoon|evening",
    "price": r"\bprice|budget|\bpay\b|\bcost|spend|afford|\bfare",
    "connections": r"connection|\bstops?\b|direct|layover",
    "class": r"\bclass\b|cabin|economy|business",
    "airline": r"airline|carrier",
}
OTHER = r"anything else|other (?:preference|requirement|wish)|any (?:more )?preference"


def asked_slots(utterance: str) -> list[str]:
    text = utterance.lower()
    if read_offer(utterance) is not None:
        return []
    asked = [slot for slot in SLOTS if re.search(ASKS[slot], text)]
    if not asked and re.search(OTHER, text):
        asked = ["class", "airline"]
    return asked


def _choose(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


def _time_words(time: str) -> str:
    return "at any time" if time == ANY else f"in the {time}"


def answer(slot: str, goal: Goal, rng: random.Random) -> str:
    """The customer's answer about one slot, in one of several phrasings."""
    g = goal
    if slot == "name":
        return _choose(rng, f"My name is {g.name}.", f"It is {g.name}.", f"{g.name}.")
    if slot == "route":
        return _choose(
            rng,
            f"I am flying from {g.origin} to {g.destination}.",
            f"From {g.origin} to {g.destination}.",
            f"I want to go from {g.origin} to {g.destination} and back.",
        )
    if slot == "dates":
        out, back = f"{g.depart_month} {g.depart_day}", f"{g.return_month} {g.return_day}"
        return _choose(
            rng,
            f"I leave on {out} and return on {back}.",
            f"Departing {out}, coming back {back}.",
            f"Out on {out}, back on {back}.",
        )
    if slot == "times":
        if g.depart_time == ANY and g.return_time == ANY:
            return _choose(rng, "Any time of day is fine.", "I do not mind the time of day.")
        return _choose(
            rng,
            f"I want to leave {_time_words(g.depart_time)} and return {_time_words(g.return_time)}.",
            f"Departure {_time_words(g.depart_time)}, return {_time_words(g.return_time)}.",
        )
    if slot == "price":
        if g.max_price is None:
            return _choose(rng, "Price does not matter.", "I have no budget limit.")
        return _choose(rng, f"My budget is ${g.max_price}.", f"I can pay at most ${g.max_price}.")
    if slot == "connections":
        if g.max_connections == 0:
            return _choose(rng, "I need a direct flight.", "Only direct flights, please.")
        if g.max_connections == 1:
            return _choose(rng, "At most 1 connection.", "One connection is fine, not more.")
        return _choose(rng, "Connections are fine.", "Any number of connections is ok.")
    if slot == "class":
        if g.cls == ANY:
            return _choose(rng, "Any class is fine.", "Economy or business, either works.")
        return _choose(rng, f"I want {g.cls} class.", f"{g.cls.capitalize()} class, please.")
    if slot == "airline":
        if g.airline == ANY:
            return _choose(rng, "Any airline works.", "I have no airline preference.")
        return _choose(rng, f"I prefer {g.airline}.", f"Only {g.airline}, please.")
    raise ValueError(f"unknown slot {slot!r}")


def opening(goal: Goal, rng: random.Random) -> str:
    """The customer's first line: the intent, and sometimes the name."""
    intent = {
        "book": ("I want to book a flight.", "I need to book a trip.", "Can you help me book a flight?"),
        "change": ("I need to change my reservation.", "I want to change my flight."),
        "cancel": ("Please cancel my reservation.", "I want to cancel my trip."),
    }[goal.intent]
    greeting = _choose(rng, "Hello.", "Hi.", "Good morning.")
    name = f" I am {goal.name}." if rng.random() < 0.3 else ""
    return f"{greeting}{name} {rng.choice(intent)}"


# ----- offers: what the agent says about a flight


def describe(flight: Flight) -> str:
    """The agent's offer of a flight: its id and the facts a customer judges it by."""
    stops = "no connections" if flight.connections == 0 else f"{flight.connections} connection"
    stops += "s" if flight.connections > 1 else ""
    return (
        f"I found flight {flight.id} on {flight.airline}, {flight.cls} class, leaving in the "
        f"{flight.depart_time} and returning in the {flight.return_time}, {stops}, for ${flight.price}. "
        "Shall I book it?"
    )


def read_offer(text: str) -> dict[str, Any] | None:
    """The facts an agent states about an offered flight (`flight 1012 ... $350 ...`), or None when no
    flight is offered. Only what is stated is returned."""
    match = re.search(r"\bflight\s+(\d{4})\b", text, re.IGNORECASE)
    if not match or not FIRST_ID <= int(match.group(1)) < FIRST_ID + N_FLIGHTS:
        return None
    facts: dict[str, Any] = {"id": int(match.group(1))}
    lower = text.lower()
    if price := re.search(r"\$\s?(\d+)", text):
        facts["price"] = int(price.group(1))
    if re.search(r"no connections|direct|nonstop|non-stop", lower):
        facts["connections"] = 0
    elif stops := re.search(r"(\d) connections?", lower):
        facts["connections"] = int(stops.group(1))
    for airline in AIRLINES:
        if airline.lower() in lower:
            facts["airline"] = airline
    for cls in CLASSES:
        if cls in lower:
            facts["cls"] = cls
    if leave := re.search(r"leaving in the (\w+)", lower):
        facts["depart_time"] = leave.group(1)
    if back := re.search(r"returning in the (\w+)", lower):
        facts["return_time"] = back.group(1)
    return facts


def offer_problems(facts: dict[str, Any], goal: Goal) -> list[str]:
    """Why the customer turns a stated flight down (empty: it accepts)."""
    problems = []
    if goal.max_price is not None and facts.get("price", 0) > goal.max_price:
        problems.append("that is over my budget")
    if facts.get("connections", 0) > goal.max_connections:
        problems.append("that has too many connections")
    if goal.airline != ANY and facts.get("airline", goal.airline) != goal.airline:
        problems.append(f"I only fly {goal.airline}")
    if goal.cls != ANY and facts.get("cls", goal.cls) != goal.cls:
        problems.append(f"I want {goal.cls} class")
    for key, wish in (("depart_time", goal.depart_time), ("return_time", goal.return_time)):
        if wish != ANY and facts.get(key, wish) != wish:
            problems.append("the times do not suit me")
            break
    return problems


# ----- reading the customer: the scripted agent's view of the constraints


def read_constraints(text: str) -> dict[str, Any]:
    """Every constraint stated in the customer's `text` (one line or a whole dialogue side)."""
    found: dict[str, Any] = {}
    lower = text.lower()
    codes = "|".join(AIRPORTS)
    # "from" may open the sentence ("From JFK to LAX."); the airport codes stay upper case.
    if route := re.search(rf"(?i:from) ({codes}) (?i:to) ({codes})", text):
        found["origin"], found["destination"] = route.group(1), route.group(2)
    months = "|".join(MONTHS)
    dates = re.findall(rf"\b({months}) (\d{{1,2}})\b", text)
    if len(dates) >= 2:
        (found["depart_month"], dd), (found["return_month"], rd) = dates[0], dates[1]
        found["depart_day"], found["return_day"] = int(dd), int(rd)
    if re.search(r"any time|do not mind the time", lower):
        found.setdefault("depart_time", ANY)
        found.setdefault("return_time", ANY)
    times = "|".join(TIMES + (ANY,))
    if leave := re.search(rf"(?:leave|departure) (?:in the|at) ({times})", lower):
        found["depart_time"] = leave.group(1)
    if back := re.search(rf"return (?:in the|at) ({times})", lower):
        found["return_time"] = back.group(1)
    if re.search(r"price does not matter|no budget", lower):
        found["max_price"] = None
    elif price := re.search(r"\$\s?(\d+)", text):
        found["max_price"] = int(price.group(1))
    if re.search(r"direct", lower):
        found["max_connections"] = 0
    elif re.search(r"at most 1 connection|one connection", lower):
        found["max_connections"] = 1
    elif re.search(r"connections are fine|any number of connections", lower):
        found["max_connections"] = 2
    if re.search(r"any class|either works", lower):
        found["cls"] = ANY
    else:
        for cls in CLASSES:
            if re.search(rf"\b{cls} class", lower):
                found["cls"] = cls
    if re.search(r"any airline|no airline preference", lower):
        found["airline"] = ANY
    else:
        for airline in AIRLINES:
            if re.search(rf"(?:prefer|only) {airline.lower()}", lower):
                found["airline"] = airline
    if name := re.search(r"(?i:my name is|it is|i am|this is) ([A-Z][a-z]+ [A-Z][a-z]+)", text):
        found["name"] = name.group(1)
    elif bare := re.fullmatch(r"\s*([A-Z][a-z]+ [A-Z][a-z]+)\.?\s*", text):
        found["name"] = bare.group(1)
    return found
