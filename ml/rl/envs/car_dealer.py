"""Car Dealer with a scripted buyer (task `car_dealer`); the agent is the seller.

The buyer has a hidden profile: a personality, a preferred brand and body type, two or three wanted
features and a budget of $10k, $30k, $50k, $70k or $90k. It opens the conversation, answers questions
about what it wants, judges the cars the seller proposes (data/cars.json) and the prices offered, makes
counter-offers, and ends with a line containing `Decision=Accept` or `Decision=Reject`. A game also
ends, with Reject, after 10 seller turns.

Reward (paper), given on the last turn: on a sale, price / ((budget + MSRP) / 2); with no sale,
−|budget − MSRP| / MSRP; MSRP is that of the car being discussed (the last one either side named, or,
if none was, the car the buyer's profile was drawn from). The sale price is the last dollar amount in
the accepting line, else the last one anyone named.

`oracle=` replaces the scripted buyer with anything implementing the Oracle protocol (an LM, or a person
in the browser); the environment reads the decision, the car and the price from the text, so the
rules and the reward stay the same. The opening line is always the scripted buyer's.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, Turn, register_task
from ml.rl.envs.datasets import behaviour
from ml.rl.envs.oracle import Oracle

TASK = "car_dealer"
CARS_PATH = Path(__file__).parent / "data" / "cars.json"
MAX_SELLER_TURNS = 10
BUDGETS = (10_000, 30_000, 50_000, 70_000, 90_000)
ACCEPT, REJECT = "Decision=Accept", "Decision=Reject"

# Measured with measure_normalisation() (n=1000, seed=0): min is the expected worst case (the seller
# talks about the car whose MSRP is furthest from the budget and never sells), avg the behaviour
# dataset's mean, max the scripted competent seller's mean over the same buyers. The paper gives none.
MEASURED_NORMALISATION = Normalisation(-2.0655, 0.2129, 0.5792, "measured")


@dataclass(frozen=True)
class Personality:
    name: str
    needs_brand: bool  # rejects other brands
    min_feature_share: float  # share of its wanted features a car must have
    budget_tolerance: float  # pays up to budget × this ...
    msrp_tolerance: float  # ... and never more than MSRP × this
    counter_anchor: float  # first counter-offer, as a share of the most it would pay
    max_counters: int  # counter-offers before it walks away
    patience: int  # seller turns before it walks away
    forthcoming: bool  # volunteers what it wants
    budget_claim: float  # the budget it states, as a share of the real one


PERSONALITIES = {
    p.name: p
    for p in (
        Personality("agreeable", False, 0.34, 1.15, 1.0, 0.95, 4, 10, True, 1.0),
        Personality("stubborn", True, 0.67, 1.0, 0.95, 0.85, 2, 8, False, 1.0),
        Personality("price-sensitive", False, 0.34, 0.9, 0.9, 0.75, 3, 10, False, 0.8),
        Personality("picky", False, 1.0, 1.05, 1.0, 0.9, 3, 10, True, 1.0),
        Personality("impatient", True, 0.34, 1.1, 1.0, 0.95, 1, 5, True, 1.0),
    )
}

BRAND_WORDS = {
    "Toyota": r"toyota", "Honda": r"honda", "Ford": r"ford", "Chevrolet": r"chevrolet|chevy", "Tesla": r"tesla",
    "BMW": r"bmw", "Mercedes-Benz": r"mercedes(?: benz)?|benz", "Hyundai": r"hyundai", "Subaru": r"subaru",
    "Jeep": r"jeep", "Kia": r"kia", "Volkswagen": r"volkswagen|vw",
}  # fmt: skip
TYPE_WORDS = {
    "sedan": r"sedans?|saloons?", "SUV": r"suvs?|crossovers?", "truck": r"trucks?|pickups?|pick ups?",
    "hatchback": r"hatchbacks?|hatch", "minivan": r"minivans?|mini vans?|vans?", "coupe": r"coupes?|sports cars?",
}  # fmt: skip
FEATURE_WORDS = {
    "sunroof": r"sun ?roof|moon ?roof",
    "leather seats": r"leather",
    "backup camera": r"back ?up cam|rear ?view cam|reverse cam|rear cam",
    "navigation": r"navigation|\bnav\b|gps",
    "heated seats": r"heated|seat heat",
    "all-wheel drive": r"all wheel drive|\bawd\b|4x4|four wheel drive|\b4wd\b|4 wheel drive",
    "apple carplay": r"car ?play|android auto",
    "third-row seating": r"third row|3rd row|seven seat|7 seat|seats seven|three rows",
    "towing package": r"\btow|hitch",
    "hybrid engine": r"hybrid",
    "electric motor": r"electric|\bev\b|\bevs\b",
    "premium sound system": r"sound system|premium sound|\baudio|speakers|stereo",
    "adaptive cruise control": r"cruise control|adaptive cruise",
}
ASK_PATTERNS = {
    "budget": r"budget|spend|afford|price range|how much (?:are|can|do|would|money)|willing to pay|what .*pay",
    "brand": r"\bbrands?\b|\bmakes?\b|manufacturer|which company|carmaker",
    "type": r"(?:kind|type|sort|style) of (?:car|vehicle)|body style|what type|which type|what kind",
    "features": r"features?|must have|important to you|options|priorit|need in a car|want in a car",
    "needs": r"looking for|what do you (?:want|need)|how can i help|what brings you|help you|what can i do for you",
}
AGREE = r"\bdeal\b|\bagreed?\b|\bok(?:ay)?\b|\baccept|\bsounds good\b|\byou got it\b|\bi can do that\b|\bsure\b|\bfine\b|\byes\b"
AMBIGUOUS_MODELS = {"Fit", "Bolt", "Golf GTI"}  # ordinary words: only count with the brand named


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@dataclass
class Catalogue:
    cars: list[dict[str, Any]]
    features: list[str]
    by_model: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        patterns = []
        for car in self.cars:
            car["name"] = f"{car['brand']} {car['model']}"
            self.by_model[car["name"]] = car
            model = _norm(car["model"])
            forms = {f"{_norm(car['brand'])} {model}"}
            for brand_word in BRAND_WORDS[car["brand"]].split("|"):
                forms.add(f"{_norm(brand_word)} {model}")
            if car["model"] not in AMBIGUOUS_MODELS:
                forms |= {model, model.replace(" ", "")}
            for form in forms:
                patterns.append((form, car["name"]))
        patterns.sort(key=lambda p: -len(p[0]))  # "toyota corolla" before "corolla"
        self.model_re = re.compile(r"\b(" + "|".join(re.escape(f) for f, _ in patterns) + r")\b")
        self.model_of = dict(patterns)
        self.read = lru_cache(maxsize=65536)(lambda text: _read(self, text))  # utterances repeat a lot


@cache
def load_catalogue(path: str = str(CARS_PATH)) -> Catalogue:
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise EnvError(f"cannot read the car catalogue {path}: {exc}") from None
    return Catalogue(raw["cars"], raw["features"])


# --- reading utterances


MONEY_RE = re.compile(
    r"\$\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k\b|thousand\b)?"
    r"|\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k\b|thousand\b|grand\b|dollars\b|bucks\b|usd\b)?",
    re.IGNORECASE,
)


def parse_prices(text: str) -> list[int]:
    """Dollar amounts in the order they appear: "$25,000", "$25k", "25k", "25 thousand", "25000 dollars"
    and bare numbers of 5,000 or more (so "F-150" or "2024" are not prices)."""
    found: list[tuple[int, float]] = []
    for m in MONEY_RE.finditer(text):
        digits = m.group(1) or m.group(3)
        unit = (m.group(2) or m.group(4) or "").lower()
        value = float(digits.replace(",", ""))
        if unit in ("k", "thousand", "grand"):
            value *= 1000
        elif not m.group(1) and not unit and value < 5000:
            continue
        if 500 <= value <= 1_000_000:
            found.append((m.start(), value))
    return [int(round(v)) for _, v in found]


@dataclass(frozen=True)
class Mentions:
    """What one utterance names: cars (catalogue names, in order), brands, body types, features,
    dollar amounts (in order), what it asks about, and whether it agrees to something."""

    cars: tuple[str, ...]
    brands: tuple[str, ...]
    types: tuple[str, ...]
    features: tuple[str, ...]
    prices: tuple[int, ...]
    asks: frozenset[str]
    agrees: bool


def _compiled(words: dict[str, str], whole_words: bool) -> list[tuple[str, re.Pattern[str]]]:
    return [(k, re.compile(rf"\b(?:{p})\b" if whole_words else p)) for k, p in words.items()]


BRAND_RES = _compiled(BRAND_WORDS, True)
TYPE_RES = _compiled(TYPE_WORDS, True)
FEATURE_RES = _compiled(FEATURE_WORDS, False)
ASK_RES = _compiled(ASK_PATTERNS, False)
AGREE_RE = re.compile(AGREE)


def read(catalogue: Catalogue, text: str) -> Mentions:
    return catalogue.read(text)


def _read(catalogue: Catalogue, text: str) -> Mentions:
    words = _norm(text)
    asks = {k for k, p in ASK_RES if p.search(words)}
    if asks & {"brand", "type", "features"}:
        asks.discard("needs")
    return Mentions(
        cars=tuple(catalogue.model_of[m.group(1)] for m in catalogue.model_re.finditer(words)),
        brands=tuple(b for b, p in BRAND_RES if p.search(words)),
        types=tuple(t for t, p in TYPE_RES if p.search(words)),
        features=tuple(f for f, p in FEATURE_RES if p.search(words)),
        prices=tuple(parse_prices(text)),
        asks=frozenset(asks),
        agrees=bool(AGREE_RE.search(words)),
    )


def _money(value: float) -> str:
    return f"${int(value):,}"


def _listing(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _a(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" or word == "SUV" else "a ") + word


# --- the scripted buyer


def draw_profile(catalogue: Catalogue, rng: random.Random) -> dict[str, Any]:
    """A buyer built around one catalogue car, so some car always suits them; the budget is drawn
    on its own, as in the paper."""
    target = rng.choice(catalogue.cars)
    k = min(len(target["features"]), rng.choice((2, 3)))
    return {
        "personality": rng.choice(sorted(PERSONALITIES)),
        "brand": target["brand"],
        "type": target["type"],
        "features": sorted(rng.sample(target["features"], k)),
        "budget": rng.choice(BUDGETS),
        "target_model": target["name"],
    }


def opening_line(profile: dict[str, Any]) -> str:
    kind = _a(profile["type"])
    return {
        "agreeable": f"Hi! I'm looking for {kind}, ideally a {profile['brand']}.",
        "stubborn": "Hello. I know exactly what I want, so let's not waste time.",
        "price-sensitive": "Hi, I'm shopping around for a good deal on a car.",
        "picky": f"Hi, I'm looking for {kind} with the right features.",
        "impatient": f"Hi, I don't have much time. I need {kind}.",
    }[profile["personality"]]


class Buyer:
    """The buyer's state through one conversation; `respond` takes one seller utterance."""

    def __init__(self, catalogue: Catalogue, profile: dict[str, Any]):
        self.catalogue = catalogue
        self.profile = profile
        self.p = PERSONALITIES[profile["personality"]]
        self.car: dict[str, Any] | None = None
        self.turns = 0
        self.counters = 0
        self.counter: int | None = None  # the counter-offer on the table
        opening = opening_line(profile).lower()
        self.told = {k for k in ("type", "brand") if profile[k].lower() in opening}
        self.decided = False

    def matches(self, car: dict[str, Any]) -> list[str]:
        """Why `car` does not suit the buyer (empty when it does)."""
        reasons = []
        if car["type"] != self.profile["type"]:
            reasons.append(f"I need {_a(self.profile['type'])}")
        if self.p.needs_brand and car["brand"] != self.profile["brand"]:
            reasons.append(f"I only buy {self.profile['brand']}")
        wanted = self.profile["features"]
        missing = [f for f in wanted if f not in car["features"]]
        if (len(wanted) - len(missing)) / len(wanted) < self.p.min_feature_share - 1e-9:
            reasons.append(f"it doesn't have {_listing(missing)}")
        return reasons

    def most_it_pays(self, car: dict[str, Any]) -> int:
        limit = min(self.profile["budget"] * self.p.budget_tolerance, car["msrp"] * self.p.msrp_tolerance)
        return int(limit // 100 * 100)

    def accept(self, price: int) -> str:
        self.decided = True
        assert self.car is not None
        return f"Deal, I'll take the {self.car['name']} for {_money(price)}. {ACCEPT}"

    def reject(self, why: str) -> str:
        self.decided = True
        return f"{why} {REJECT}"

    def respond(self, text: str) -> str:
        if self.decided:
            return "We're done here."
        self.turns += 1
        m = read(self.catalogue, text)
        parts: list[str] = []
        if m.cars and (self.car is None or m.cars[-1] != self.car["name"]):
            self.car, self.counter = self.catalogue.by_model[m.cars[-1]], None
        if self.car is not None and (m.cars or m.prices or m.agrees):  # the seller talks about the car
            reasons = self.matches(self.car)
            if reasons:
                parts.append(f"The {self.car['name']} isn't what I want: {_listing(reasons)}.")
                self.told.update({"type", "brand"} if self.p.forthcoming else set())
            elif m.prices:
                price = m.prices[-1]
                limit = self.most_it_pays(self.car)
                if price <= limit or (self.counter is not None and price <= self.counter):
                    return self.accept(price)
                if self.counters >= self.p.max_counters:
                    return self.reject(f"{_money(price)} is more than I'm willing to pay.")
                share = (
                    self.p.counter_anchor + (1 - self.p.counter_anchor) * self.counters / self.p.max_counters
                )
                self.counter = min(int(limit * share // 100 * 100), price - 100)
                self.counters += 1
                parts.append(f"That's too much for me. Would you take {_money(self.counter)}?")
            elif m.agrees and self.counter is not None:
                return self.accept(self.counter)
            elif m.cars:
                parts.append(f"The {self.car['name']} sounds good. What price can you do?")
        elif m.prices:
            parts.append("Which car is that price for?")
        parts += self._answers(m.asks)
        if not parts:
            parts.append(self._small_talk())
        if self.turns >= self.p.patience:
            return self.reject(" ".join(parts) + " Anyway, I've spent long enough here.")
        return " ".join(parts)

    def _answers(self, asks: set[str]) -> list[str]:
        profile, out = self.profile, []
        if "needs" in asks:
            asks = asks | {"type", "brand"} | ({"features"} if self.p.forthcoming else set())
        if "type" in asks:
            out.append(f"I'm looking for {_a(profile['type'])}.")
        if "brand" in asks:
            out.append(
                f"I only buy {profile['brand']}." if self.p.needs_brand else f"I like {profile['brand']}."
            )
        if "features" in asks:
            out.append(f"I'd like {_listing(profile['features'])}.")
        if "budget" in asks:
            claim = int(profile["budget"] * self.p.budget_claim // 1000 * 1000)
            out.append(f"My budget is about {_money(claim)}.")
        self.told |= asks
        return out

    def _small_talk(self) -> str:
        if self.p.forthcoming and "type" not in self.told:
            self.told.add("type")
            return f"I'm really after {_a(self.profile['type'])}."
        if self.p.forthcoming and "features" not in self.told:
            self.told.add("features")
            return f"It should have {_listing(self.profile['features'])}."
        return "Do you have something that fits what I'm looking for?"


class ScriptedBuyerOracle:
    """The Oracle-protocol face of Buyer: replays the seller's earlier turns to rebuild its state (kept
    between calls of one game, so a step costs one `respond`)."""

    def __init__(self, catalogue: Catalogue | None = None):
        self.catalogue = catalogue or load_catalogue()
        self._buyer: Buyer | None = None
        self._heard: list[str] = []

    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        said = [t.text.strip() for t in history if t.is_action]
        buyer = self._buyer
        if buyer is None or buyer.profile != secret or self._heard != said:
            buyer = Buyer(self.catalogue, secret)
            for text in said:
                buyer.respond(text)
        reply = buyer.respond(utterance)
        self._buyer, self._heard = buyer, [*said, utterance]
        return reply


# --- the environment


class CarDealerEnv(TextEnv):
    name = TASK
    max_steps = MAX_SELLER_TURNS
    normalisation = MEASURED_NORMALISATION
    agent_role = "seller"

    def __init__(
        self,
        oracle: Oracle | None = None,
        profile: dict[str, Any] | None = None,
        cars_path: str | None = None,
    ):
        super().__init__()
        self.catalogue = load_catalogue(cars_path) if cars_path else load_catalogue()
        if profile is not None:
            self._check_profile(profile)
        self.oracle: Oracle = oracle or ScriptedBuyerOracle(self.catalogue)
        self.profile = profile
        self.secret: dict[str, Any] = {}
        self.car: str | None = None
        self.price: int | None = None

    def _check_profile(self, profile: dict[str, Any]) -> None:
        keys = {"personality", "brand", "type", "features", "budget", "target_model"}
        if set(profile) != keys or profile["personality"] not in PERSONALITIES:
            raise EnvError(f"a buyer profile needs exactly {sorted(keys)} and a known personality")
        if profile["target_model"] not in self.catalogue.by_model:
            raise EnvError(f"unknown car {profile['target_model']!r}")

    def _reset(self) -> str:
        self.secret = dict(self.profile) if self.profile else draw_profile(self.catalogue, self.rng)
        self.car, self.price = None, None
        return opening_line(self.secret)

    def _track(self, text: str) -> Mentions:
        m = read(self.catalogue, text)
        if m.cars:
            self.car = m.cars[-1]
        if m.prices:
            self.price = m.prices[-1]
        return m

    def _step(self, action: str) -> StepResult:
        self._track(action)
        reply = " ".join(str(self.oracle.reply(self.name, self.secret, self.history[:-1], action)).split())
        m = self._track(reply)
        info: dict[str, Any] = {}
        if ACCEPT not in reply and REJECT not in reply:
            if self.steps < self.max_steps:
                return StepResult(reply, 0.0, False, info)
            reply, info["truncated"] = f"{reply} I have to go now. {REJECT}".strip(), True
        car = self.catalogue.by_model[self.car or self.secret["target_model"]]
        budget, msrp = self.secret["budget"], car["msrp"]
        sold = ACCEPT in reply and REJECT not in reply
        if sold:
            price = m.prices[-1] if m.prices else (self.price or msrp)
            reward = price / ((budget + msrp) / 2)
            info.update(price=price)
        else:
            reward = -abs(budget - msrp) / msrp
        info.update(sold=sold, car=car["name"], msrp=msrp, budget=budget)
        return StepResult(reply, reward, True, info)

    def render(self) -> dict[str, Any]:
        state = super().render()
        state.update(
            agent_role=self.agent_role, car=self.car, price=self.price, turns_left=self.max_steps - self.steps
        )
        if self.done:
            state["buyer"] = dict(self.secret)
        return state


@register_task(TASK)
def make(**options: Any) -> CarDealerEnv:
    return CarDealerEnv(**options)


# --- the scripted seller and the behaviour policy (they read only the dialogue, never the profile)


@dataclass
class SellerNotes:
    brand: str | None = None
    type: str | None = None
    features: list[str] = field(default_factory=list)
    budget: int | None = None
    asked: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    car: str | None = None
    my_offer: int | None = None
    counter: int | None = None
    counters_seen: int = 0
    price_asked: bool = False


def take_notes(catalogue: Catalogue, history: History) -> SellerNotes:
    notes = SellerNotes()
    for turn in history:
        m = read(catalogue, turn.text)
        if turn.is_action:
            notes.asked |= m.asks
            if m.cars:
                notes.car = m.cars[-1]
            if m.prices:
                notes.my_offer = m.prices[-1]
            notes.counter, notes.price_asked = None, False
            continue
        named = {catalogue.by_model[c]["brand"] for c in m.cars}
        brands = [b for b in m.brands if b not in named]
        notes.brand = brands[-1] if brands else notes.brand
        notes.type = m.types[-1] if m.types else notes.type
        notes.features = sorted(set(notes.features) | set(m.features))
        text = turn.text.lower()
        if "isn't what i want" in text and m.cars:
            notes.rejected.add(m.cars[0])
        if "budget" in text and m.prices:
            notes.budget = m.prices[-1]
        if "would you take" in text and m.prices:
            notes.counter, notes.counters_seen = m.prices[-1], notes.counters_seen + 1
        notes.price_asked = "what price" in text
    return notes


def best_car(catalogue: Catalogue, notes: SellerNotes) -> dict[str, Any]:
    def score(car: dict[str, Any]) -> tuple[float, float]:
        fit = 2 * (car["brand"] == notes.brand) + 3 * (car["type"] == notes.type)
        fit += sum(f in car["features"] for f in notes.features)
        gap = abs(car["msrp"] - (notes.budget or 40_000))
        return (fit, -gap)

    choices = [c for c in catalogue.cars if c["name"] not in notes.rejected] or catalogue.cars
    return max(choices, key=score)


def seller_move(catalogue: Catalogue, history: History) -> str:
    """A competent seller: ask what the buyer wants, pitch the best-matching car at its MSRP, meet a
    counter-offer half way once, then accept the next one."""
    notes = take_notes(catalogue, history)
    if notes.type is None and "type" not in notes.asked:
        return "What kind of car are you looking for, and do you have a favourite brand?"
    if not notes.features and "features" not in notes.asked:
        return "Which features matter most to you?"
    if notes.budget is None and "budget" not in notes.asked:
        return "What is your budget?"
    if notes.car is None or notes.car in notes.rejected:
        car = best_car(catalogue, notes)
        extras = [f for f in car["features"] if f in notes.features] or car["features"][:2]
        return f"I recommend the {car['name']}. It has {_listing(extras)}. I can offer it for {_money(car['msrp'])}."
    car = catalogue.by_model[notes.car]
    if notes.counter is not None:
        mine = notes.my_offer or car["msrp"]
        if notes.counters_seen >= 2 or notes.counter >= 0.95 * mine:
            return f"Deal, {_money(notes.counter)} it is."
        middle = (notes.counter + mine) / 2 // 100 * 100
        return f"I can meet you in the middle at {_money(middle)} for the {car['name']}."
    return f"The {car['name']} is yours for {_money(notes.my_offer or car['msrp'])}."


def scripted_seller(env: TextEnv, history: History) -> str:
    return seller_move(env.catalogue, history)  # type: ignore[attr-defined]


SMALL_TALK = [
    "Nice weather today, isn't it?",
    "Would you like a coffee while we talk?",
    "Let me check with my manager.",
    "Have you been to our dealership before?",
    "Take your time and look around.",
]
QUESTIONS = [
    "What is your budget?",
    "Which brand do you prefer?",
    "What kind of car do you need?",
    "Which features are important to you?",
    "What are you looking for today?",
]


def random_utterance(catalogue: Catalogue, rng: random.Random) -> str:
    car = rng.choice(catalogue.cars)
    roll = rng.random()
    if roll < 0.3:
        return f"How about the {car['name']}? It's a great {car['type']}."
    if roll < 0.55:
        price = round(car["msrp"] * rng.uniform(0.6, 1.3) / 500) * 500
        return f"I can let you have the {car['name']} for {_money(price)}."
    if roll < 0.75:
        return rng.choice(QUESTIONS)
    if roll < 0.85:
        return "Deal!"
    return rng.choice(SMALL_TALK)


SELLER_SHARE = 0.5


@behaviour(
    TASK,
    f"each turn: {SELLER_SHARE:.0%} the scripted competent seller (asks type/brand, features, budget; pitches "
    "the best-matching car at MSRP; meets one counter-offer half way, accepts the next), otherwise random: "
    "30% pitch a random car, 25% offer a random car at 60-130% of MSRP, 20% a question, 10% 'Deal!', "
    "15% small talk",
)
def make_behaviour(rng: random.Random):
    def policy(env: TextEnv, history: History) -> str:
        catalogue = env.catalogue  # type: ignore[attr-defined]
        if rng.random() < SELLER_SHARE:
            return seller_move(catalogue, history)
        return random_utterance(catalogue, rng)

    return policy


def worst_expected_return(catalogue: Catalogue) -> float:
    """The mean over budgets of the worst no-sale return: the seller discusses the car whose MSRP is
    furthest from the budget (the profile's other parts do not change it)."""
    worst = [max(abs(b - c["msrp"]) / c["msrp"] for c in catalogue.cars) for b in BUDGETS]
    return -sum(worst) / len(worst)


def measure_normalisation(n: int = 1000, seed: int = 0) -> Normalisation:
    """min: worst_expected_return; avg: the behaviour dataset's mean return (as `datasets.generate(TASK,
    n, seed, ...)` writes it); max: the scripted seller's mean over the same buyers."""
    from ml.rl.envs.trajectories import rollout

    env = CarDealerEnv()
    policy = make_behaviour(random.Random(seed))
    seeds = [seed * 1_000_003 + i for i in range(n)]
    avg = sum(rollout(env, policy, s).ret for s in seeds) / n
    best = sum(rollout(env, scripted_seller, s).ret for s in seeds) / n
    return Normalisation(
        round(worst_expected_return(env.catalogue), 4), round(avg, 4), round(best, 4), "measured"
    )
