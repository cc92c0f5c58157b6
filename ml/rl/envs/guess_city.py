"""Guess My City with a knowledge-base oracle (task `guess_city`).

The environment hides one of the 100 cities in data/cities.json. The agent may ask anything: the default
oracle answers open questions ("What country is it in?", "Name a famous landmark.") with a sentence
built from the city's facts, yes/no questions ("Is it in Asia?", "Do they speak Spanish?") with
"Yes." or "No.", and anything else with a polite non-answer. It never names the city: landmarks, rivers
and bays that carry the name are described instead ("Tokyo Tower" -> "the tower that shares the city's
name"), and every reply, from any oracle, passes through `mask_city` before the agent sees it.

Naming the city ("Is it Paris?", "Paris", "Paris, France") ends the game with reward 0; every other
turn costs −1; at most 20 turns. Only a question that names exactly one city counts as a guess, so
listing many cities in one question does not win.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, Turn, register_task
from ml.rl.envs.datasets import behaviour
from ml.rl.envs.oracle import Oracle

TASK = "guess_city"
KB_PATH = Path(__file__).parent / "data" / "cities.json"
MAX_TURNS = 20

PAPER_NORMALISATION = Normalisation(-20.0, -18.8, -8.56, "paper")
# Measured with measure_normalisation() (n=1000, seed=0): min is the worst possible return, avg the
# behaviour dataset's mean, max the information-gain solver's mean over every city. The solver needs
# one question: what a city is known for is unique to it, so the next turn is a correct guess.
MEASURED_NORMALISATION = Normalisation(-20.0, -15.875, -1.0, "measured")

NOT_UNDERSTOOD = (
    "I'm not sure how to answer that. You can ask about its country, continent, language, climate, "
    "population, landmarks or what it is known for."
)


def fold(text: str) -> str:
    """Accents removed (São -> Sao), so questions typed without them still match."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise(text: str) -> str:
    text = fold(text).lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9.]+", " ", text).replace(".", " ").split())


def name_pattern(names: Sequence[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive match of any of `names`, with or without accents and with any
    spacing or punctuation between their words ("Xi'an", "Xian", "xi an")."""
    variants = {v for n in names for v in (n, fold(n))}
    parts = []
    for variant in sorted(variants, key=len, reverse=True):
        tokens = re.findall(r"\w+", variant)
        if tokens:
            parts.append(r"[\s'\u2019.\-]*".join(re.escape(t) for t in tokens))
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


COUNTRY_ALIASES = {
    "United States": ["united states", "united states of america", "usa", "u s a", "us", "u s", "the states", "america"],
    "United Kingdom": ["united kingdom", "uk", "u k", "britain", "great britain", "england"],
    "South Korea": ["south korea", "korea", "republic of korea"],
    "Democratic Republic of the Congo": ["democratic republic of the congo", "democratic republic of congo", "dr congo", "drc", "congo", "zaire"],
    "Ivory Coast": ["ivory coast", "cote d ivoire", "cote divoire"],
    "Myanmar": ["myanmar", "burma"],
    "Turkey": ["turkey", "turkiye"],
    "Iran": ["iran", "persia"],
    "China": ["china", "prc", "mainland china", "peoples republic of china"],
    "Vietnam": ["vietnam", "viet nam"],
    "Philippines": ["philippines"],
}  # fmt: skip
LANGUAGE_ALIASES = {
    "chinese": ["Mandarin", "Cantonese"],
    "farsi": ["Persian"],
    "tagalog": ["Filipino"],
    "bangla": ["Bengali"],
    "kiswahili": ["Swahili"],
    "bahasa": ["Indonesian", "Malay"],
}
CONTINENT_PATTERNS = {
    "North America": r"\bnorth(?:ern)? americ",
    "South America": r"\bsouth(?:ern)? americ|\blatin america",
    "Europe": r"\beurop",
    "Asia": r"\basia",
    "Africa": r"(?<!south )\bafrica",
    "Oceania": r"\boceania\b|\baustralasia\b|\bpacific islands\b",
}
# Proper names of seas and rivers (regex in the normalised question -> text to look for in the facts).
WATER_NAMES = {
    r"\bpacific\b": "pacific",
    r"\batlantic\b": "atlantic",
    r"\bindian ocean\b": "indian ocean",
    r"\bmediterranean sea\b|\bon the mediterranean\b|\bmediterranean coast\b": "mediterranean",
    r"\barabian sea\b": "arabian sea",
    r"\bbay of bengal\b": "bay of bengal",
    r"\bsouth china sea\b": "south china sea",
    r"\beast china sea\b": "east china sea",
    r"\byellow sea\b": "yellow sea",
    r"\bred sea\b": "red sea",
    r"\bblack sea\b": "black sea",
    r"\bbaltic\b": "baltic",
    r"\bjava sea\b": "java sea",
    r"\bgulf of guinea\b": "gulf of guinea",
    r"\bnile\b": "nile",
    r"\byangtze\b": "yangtze",
    r"\bthames\b": "thames",
    r"\bseine\b": "seine",
    r"\bhudson\b": "hudson",
    r"\btigris\b": "tigris",
    r"\bcongo river\b": "congo river",
    r"\byellow river\b": "yellow river",
    r"\bpearl river\b": "pearl river",
    r"\bred river\b": "red river",
    r"\bhan river\b": "han river",
    r"\btiber\b": "tiber",
    r"\bpotomac\b": "potomac",
    r"\blake michigan\b": "lake michigan",
    r"\blake ontario\b": "lake ontario",
}
GUESS_LEADS = (
    "so", "ok", "okay", "well", "hmm", "then", "alright", "now", "is it", "is this", "is that", "it is", "its",
    "it s", "was it", "could it be", "can it be", "might it be", "would it be", "are you thinking of",
    "is the city", "is your city", "the city is", "my guess is", "my final guess is", "i guess", "i think it is",
    "i think its", "i guess it is", "guess", "final guess", "how about", "what about", "the city of", "city of",
    "do you mean", "you are thinking of", "youre thinking of",
)  # fmt: skip
GUESS_TAILS = ("right", "then", "maybe", "perhaps", "please", "by any chance", "city", "isnt it", "is it")


@dataclass(frozen=True)
class Question:
    kind: str  # e.g. "guess", "in_country", "country", "landmark"; see CityKB._parse
    value: Any = None


# Open questions and their patterns, in order of precedence (after the yes/no questions about a
# named continent, country, language, sea, hemisphere or population).
OPEN_PATTERNS: list[tuple[str, str]] = [
    ("capital", r"\bcapital\b"),
    ("inland", r"\binland\b|\blandlocked\b"),
    ("coastal", r"\bcoast|\bsea\b|\bseas\b|\bocean\b|\bbeach|\bseaside\b|\bport\b|\bshore\b|\bharbou?r"),
    (
        "on_river",
        r"\bon (?:a |the )?river\b|\bnear (?:a |the )?river\b|\bhave a river\b|\bis there a river\b",
    ),
    ("on_lake", r"\bon (?:a |the )?lake\b|\bnear (?:a |the )?lake\b|\bhave a lake\b"),
    ("water", r"\brivers?\b|\blakes?\b|\bwater\b"),
    ("country", r"\bcountry\b|\bcountries\b|\bnation\b"),
    ("language", r"\blanguages?\b|\bspeak|\bspoken\b|\btongue\b"),
    (
        "landmark",
        r"\blandmarks?\b|\bmonuments?\b|\battractions?\b|\bsights?\b|\btourist|\bbuildings?\b|\bvisit\b|\bsightseeing\b|\barchitecture\b|\bfamous place",
    ),
    (
        "famous",
        r"\bfamous\b|\bknown for\b|\bfood\b|\bdish|\bcuisine\b|\beat\b|\bspecialt|\bspeciality|\bnotable\b|\brenowned\b",
    ),
    (
        "population",
        r"\bpopulation\b|\bpopulous\b|\bhow many people\b|\bhow big\b|\bhow large\b|\bpeople live\b|\binhabitants\b|\bresidents\b|\bsize\b|\bbig\b|\blarge\b|\bhuge\b|\bsmall\b",
    ),
    ("hemisphere", r"\bhemisphere\b|\bequator\b"),
    ("continent", r"\bcontinent\b|\bwhere\b|\bpart of the world\b|\bregion\b|\blocated\b|\blocation\b"),
    (
        "climate",
        r"\bclimate\b|\bweather\b|\btemperatures?\b|\bhot\b|\bcold\b|\bwarm\b|\brain|\bseasons?\b|\bhumid\b|\bsunny\b",
    ),
    (
        "hint",
        r"\bhint\b|\bclue\b|\btell me\b|\bdescribe\b|\bsomething about\b|\bmore about\b|\banything\b|\bhelp\b",
    ),
]
CLIMATE_PATTERNS: list[tuple[str, frozenset[str]]] = [
    (r"\btropic", frozenset({"tropical"})),
    (r"\bdesert\b|\barid\b|\bdry\b", frozenset({"arid", "semi-arid"})),
    (r"\bmediterranean\b", frozenset({"mediterranean"})),
    (r"\bsubtropic", frozenset({"humid subtropical", "subtropical highland"})),
    (r"\bcontinental\b|\bfreezing\b", frozenset({"humid continental"})),
    (r"\boceanic\b|\bmaritime climate\b", frozenset({"oceanic"})),
    (
        r"\bhighlands?\b|\baltitude\b|\bmountains?\b|\belevation\b|\bhigh up\b",
        frozenset({"subtropical highland"}),
    ),
]
HINT_ORDER = ("famous", "climate", "language", "hemisphere", "population")

# How the question-asking policies phrase open questions (each parses to its kind).
OPEN_QUESTIONS = {
    "continent": [
        "What continent is it in?",
        "Where in the world is it?",
        "Which part of the world is it in?",
    ],
    "country": ["What country is it in?", "Which country is the city in?"],
    "coastal": ["Is it on the coast?", "Is it near the sea?", "Is it by the ocean?"],
    "capital": ["Is it a capital city?", "Is it the capital of its country?"],
    "language": ["What language do people speak there?", "Which languages are spoken there?"],
    "climate": ["What is the climate like?", "What's the weather like there?"],
    "population": ["How many people live there?", "What is its population?"],
    "hemisphere": ["Which hemisphere is it in?"],
    "famous": ["What is it known for?", "What food is it famous for?"],
    "landmark": [
        "Name a famous landmark.",
        "What is a famous landmark there?",
        "What sights can tourists visit?",
    ],
    "water": ["What river or lake is it on?", "Is there any water nearby, like a river or lake?"],
    "hint": ["Can you give me a hint?", "Tell me something about it."],
}
CHATTER = [
    "Do you like it there?",
    "Hmm, interesting. Let me think.",
    "Is it a nice place?",
    "Would I enjoy a holiday there?",
    "Is it old?",
    "Have you been there?",
]


def _edge_forms(text: str) -> list[str]:
    """`text` and each shorter form left as leading "is it"-style phrases and trailing fillers are
    removed, one at a time ("is it mexico city" -> "mexico city" -> "mexico")."""
    forms, changed = [text], True
    while changed and text:
        changed = False
        for lead in GUESS_LEADS:
            if text.startswith(lead + " "):
                text, changed = text[len(lead) + 1 :], True
                forms.append(text)
        for tail in GUESS_TAILS:
            if text.endswith(" " + tail):
                text, changed = text[: -len(tail) - 1], True
                forms.append(text)
    return forms


class CityKB:
    """The cities, the question parser and the answer templates."""

    def __init__(self, cities: list[dict[str, Any]]):
        self.cities = cities
        self.by_name = {c["name"]: c for c in cities}
        self.names: dict[str, str] = {}  # normalised name or alias -> city
        for c in cities:
            for n in [c["name"], *c["aliases"]]:
                self.names[normalise(n)] = c["name"]
        self.masks = {c["name"]: name_pattern([c["name"], *c["aliases"]]) for c in cities}
        countries: dict[str, list[str]] = {}
        for c in cities:
            countries.setdefault(c["country"], [normalise(c["country"])])
        for country, aliases in COUNTRY_ALIASES.items():
            if country in countries:
                countries[country] = sorted(set(aliases) | set(countries[country]), key=len, reverse=True)
        self.country_aliases = countries
        # "paris france" and "paris in france" name Paris too (but "paris japan" names nothing)
        self.names_with_country = {
            f"{name}{sep}{alias}": city
            for name, city in self.names.items()
            for alias in countries[self.by_name[city]["country"]]
            for sep in (" ", " in ")
        }
        # One alternation per fact kind (longest alias first) keeps parsing fast.
        self.country_of = {alias: country for country, aliases in countries.items() for alias in aliases}
        alts = "|".join(re.escape(a) for a in sorted(self.country_of, key=len, reverse=True))
        self.country_re = re.compile(rf"\b(?:in|of|from) (?:the )?({alts})\b")
        spoken = {normalise(lang): frozenset({lang}) for c in cities for lang in c["languages"]}
        self.languages_of = {**spoken, **{a: frozenset(langs) for a, langs in LANGUAGE_ALIASES.items()}}
        alts = "|".join(re.escape(a) for a in sorted(self.languages_of, key=len, reverse=True))
        self.language_re = re.compile(rf"\b({alts})\b")
        self.continent_patterns = [(re.compile(p), c) for c, p in CONTINENT_PATTERNS.items()]
        self.water_patterns = [(re.compile(p), text) for p, text in WATER_NAMES.items()]
        self.open_patterns = [(re.compile(p), kind) for kind, p in OPEN_PATTERNS]
        self.climate_patterns = [(re.compile(p), kinds) for p, kinds in CLIMATE_PATTERNS]
        self.parse = lru_cache(maxsize=65536)(self._parse)
        self._replies: dict[tuple[Question, int], tuple[str, ...]] = {}

    # --- parsing

    def _guess(self, words: str) -> str | None:
        for form in _edge_forms(words):
            city = self.names.get(form) or self.names_with_country.get(form)
            if city:
                return city
        return None

    def _parse(self, text: str) -> Question | None:
        words = normalise(text)
        if not words:
            return None
        city = self._guess(words)
        if city:
            return Question("guess", city)
        if re.search(r"\bclimate\b|\bweather\b", words):
            for pattern, kinds in self.climate_patterns:
                if pattern.search(words):
                    return Question("is_climate", kinds)
        for pattern, water in self.water_patterns:
            if pattern.search(words):
                return Question("on_water", water)
        if m := self.country_re.search(words):
            return Question("in_country", self.country_of[m.group(1)])
        for pattern, continent in self.continent_patterns:
            if pattern.search(words):
                return Question("in_continent", continent)
        if m := self.language_re.search(words):
            return Question("speaks", self.languages_of[m.group(1)])
        if re.search(r"\bsouthern hemisphere\b|\bsouth of the equator\b|\bbelow the equator\b", words):
            return Question("in_hemisphere", "southern")
        if re.search(r"\bnorthern hemisphere\b|\bnorth of the equator\b|\babove the equator\b", words):
            return Question("in_hemisphere", "northern")
        number = re.search(r"(\d+(?: \d+)?) ?(?:million|m\b|mn\b)", words)
        if number:
            value = float(number.group(1).replace(" ", "."))
            if re.search(r"\b(?:less|fewer|under|below|smaller|lower)\b", words):
                return Question("population_under", value)
            if re.search(r"\b(?:more|over|greater|bigger|larger|at least|above|exceed|higher)", words):
                return Question("population_over", value)
        if re.search(r"\bmegacity\b|\bmega city\b", words):
            return Question("population_over", 10.0)
        if re.search(r"\bsnow", words):
            return Question("snows")
        for pattern, kinds in self.climate_patterns:
            if pattern.search(words):
                return Question("is_climate", kinds)
        for pattern, kind in self.open_patterns:
            if pattern.search(words):
                return Question(kind)
        return None

    # --- answering

    def describe(self, phrase: str, city: dict[str, Any]) -> str:
        """A landmark, river or sea, with the city's own name taken out of it."""
        pattern = self.masks[city["name"]]
        if not pattern.search(phrase):
            return phrase
        rest = " ".join(pattern.sub(" ", phrase).split())
        rest = re.sub(r"^(?:the|of)\s+|\s+of$|^'s\s*", "", rest, flags=re.IGNORECASE).strip()
        return (
            f"the {rest.lower()} that shares the city's name"
            if rest
            else "a place that shares the city's name"
        )

    def answer(self, question: Question | None, city: dict[str, Any], asked_before: int = 0) -> str:
        """The oracle's reply; `asked_before` counts earlier questions of the same kind (landmarks and
        hints rotate through the facts)."""
        if question is None:
            return NOT_UNDERSTOOD
        kind, value = question.kind, question.value
        yes_no = {
            "in_country": lambda: city["country"] == value,
            "in_continent": lambda: value in city["continents"],
            "speaks": lambda: bool(value & set(city["languages"])),
            "in_hemisphere": lambda: city["hemisphere"] == value,
            "population_over": lambda: city["population_millions"] > value,
            "population_under": lambda: city["population_millions"] < value,
            "is_climate": lambda: city["climate"] in value,
            "snows": lambda: "snow" in city["weather"],
            "on_water": lambda: value in f"{city['sea'] or ''} {city['water'] or ''}".lower(),
        }
        if kind == "guess":
            return "Yes, you guessed it!" if value == city["name"] else "No, it is not that city."
        if kind in yes_no:
            return "Yes." if yes_no[kind]() else "No."
        sea = self.describe(city["sea"], city) if city["sea"] else None
        water = self.describe(city["water"], city) if city["water"] else None
        if kind == "capital":
            return (
                "Yes, it is its country's capital."
                if city["capital"]
                else "No, it is not a national capital."
            )
        if kind == "coastal":
            return f"Yes, it lies on {sea}." if sea else "No, it is inland."
        if kind == "inland":
            return f"No, it lies on {sea}." if sea else "Yes, it is inland."
        if kind == "on_river":
            ok = water and "river" in water.lower()
            return f"Yes, it lies on {water}." if ok else "No, it is not on a major river."
        if kind == "on_lake":
            ok = water and "lake" in water.lower()
            return f"Yes, it lies on {water}." if ok else "No, it is not on a lake."
        if kind == "water":
            if water:
                return f"It lies on {water}." + (f" It is also on the coast, on {sea}." if sea else "")
            return (
                f"It is not on a major river or lake, but it lies on {sea}."
                if sea
                else "It is not on a major river, lake or sea."
            )
        if kind == "country":
            return f"It is in {city['country']}."
        if kind == "continent":
            continents = city["continents"]
            return (
                f"It is in {continents[0]}."
                if len(continents) == 1
                else f"It lies in both {' and '.join(continents)}."
            )
        if kind == "language":
            langs = city["languages"]
            spoken = langs[0] if len(langs) == 1 else ", ".join(langs[:-1]) + " and " + langs[-1]
            return f"People there mainly speak {spoken}."
        if kind == "climate":
            article = "an" if city["climate"][0] in "aeiou" else "a"
            return f"It has {article} {city['climate']} climate, with {city['weather']}."
        if kind == "population":
            return f"About {city['population_millions']:g} million people live in and around it."
        if kind == "hemisphere":
            return f"It is in the {city['hemisphere']} hemisphere."
        if kind == "landmark":
            landmarks = city["landmarks"]
            return (
                f"A famous landmark there is {self.describe(landmarks[asked_before % len(landmarks)], city)}."
            )
        if kind == "famous":
            return f"It is known for {city['famous_for']}."
        if kind == "hint":
            hint = HINT_ORDER[asked_before % len(HINT_ORDER)]
            return "Here is a hint: " + self.answer(Question(hint), city)
        return NOT_UNDERSTOOD

    def mask(self, text: str, city_name: str) -> str:
        return self.masks[city_name].sub("the city", text)

    def asked_before(self, question: Question | None, history: Sequence[Turn]) -> int:
        if question is None or question.kind not in ("landmark", "hint"):
            return 0
        return sum(1 for t in history if t.is_action and self.parse(t.text) == question)

    def replies(self, question: Question | None, asked_before: int) -> tuple[str, ...]:
        """Every city's reply to a question, in KB order (the solvers' consistency check)."""
        key = (question, asked_before)
        if key not in self._replies:
            self._replies[key] = tuple(
                self.mask(self.answer(question, c, asked_before), c["name"]) for c in self.cities
            )
        return self._replies[key]


@cache
def load_kb(path: str = str(KB_PATH)) -> CityKB:
    try:
        cities = json.loads(Path(path).read_text())["cities"]
    except (OSError, ValueError, KeyError) as exc:
        raise EnvError(f"cannot read the city knowledge base {path}: {exc}") from None
    return CityKB(cities)


def mask_city(text: str, city: dict[str, Any]) -> str:
    """`text` with every mention of the city's name or aliases replaced by "the city"."""
    return name_pattern([city["name"], *city.get("aliases", [])]).sub("the city", text)


class KnowledgeBaseOracle:
    def __init__(self, kb: CityKB | None = None):
        self.kb = kb or load_kb()

    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        question = self.kb.parse(utterance)
        city = self.kb.by_name[secret["name"]]
        text = self.kb.answer(question, city, self.kb.asked_before(question, history))
        return self.kb.mask(text, city["name"])


class GuessCityEnv(TextEnv):
    name = TASK
    max_steps = MAX_TURNS
    normalisation = MEASURED_NORMALISATION
    paper_normalisation = PAPER_NORMALISATION
    agent_role = "questioner"

    def __init__(self, oracle: Oracle | None = None, city: str | None = None, kb_path: str | None = None):
        super().__init__()
        self.kb = load_kb(kb_path) if kb_path else load_kb()
        if city is not None and city not in self.kb.by_name:
            raise EnvError(f"{city!r} is not a city in the knowledge base")
        self.oracle: Oracle = oracle or KnowledgeBaseOracle(self.kb)
        self.city = city
        self.secret: dict[str, Any] = {}

    def _reset(self) -> str:
        name = self.city or self.rng.choice(self.kb.cities)["name"]
        self.secret = json.loads(json.dumps(self.kb.by_name[name]))  # a copy the oracle cannot spoil
        return f"I am thinking of a city. Ask me questions to find out which one; you have {MAX_TURNS} turns."

    def _step(self, action: str) -> StepResult:
        reply = self.oracle.reply(self.name, self.secret, self.history[:-1], action)
        reply = self.kb.mask(" ".join(str(reply).split()), self.secret["name"])  # whoever answers
        question = self.kb.parse(action)
        solved = question is not None and question.kind == "guess" and question.value == self.secret["name"]
        return StepResult(reply, 0.0 if solved else -1.0, solved, {"solved": solved})

    def render(self) -> dict[str, Any]:
        state = super().render()
        state["turns_left"] = MAX_TURNS - self.steps
        if self.done:
            state["city"] = self.secret.get("name")
        return state


@register_task(TASK)
def make(**options: Any) -> GuessCityEnv:
    return GuessCityEnv(**options)


# --- solvers and the behaviour policy (they read only the dialogue, never the secret)


def candidates(kb: CityKB, history: History) -> list[int]:
    """Indices of the cities whose KB replies match every reply so far."""
    alive = list(range(len(kb.cities)))
    turns = list(history)
    seen: Counter[Question] = Counter()
    for asked, replied in zip(turns, turns[1:], strict=False):
        if not asked.is_action or replied.is_action:
            continue
        question = kb.parse(asked.text)
        before = seen[question] if question is not None and question.kind in ("landmark", "hint") else 0
        seen[question] += 1
        expected = kb.replies(question, before)
        observed = replied.text.strip()
        alive = [i for i in alive if expected[i] == observed]
    return alive


def _cost_estimate(n: int) -> float:
    if n <= 1:
        return 0.0
    return (n - 1) / 2 if n <= 4 else math.log2(n)


@cache
def _open_questions(kb: CityKB) -> list[tuple[str, Question]]:
    return [(texts[0], kb.parse(texts[0])) for texts in OPEN_QUESTIONS.values()]


def best_question(kb: CityKB, history: History, rng: random.Random | None = None) -> str:
    """Guess when guessing is as cheap as asking, else the open question that splits the rest best."""
    alive = candidates(kb, history)
    if not alive:  # replies no KB city gives (an LM oracle, say): guess at random
        return f"Is it {(rng or random).choice(kb.cities)['name']}?"
    n = len(alive)
    guess = kb.cities[rng.choice(alive) if rng else alive[0]]["name"]
    best, best_cost = None, (n - 1) / n * (1 + _cost_estimate(n - 1))
    for text, question in _open_questions(kb):
        replies = kb.replies(question, kb.asked_before(question, history))
        groups = Counter(replies[i] for i in alive)
        cost = 1 + sum(k * _cost_estimate(k) for k in groups.values()) / n
        if len(groups) > 1 and cost < best_cost - 1e-9:
            best, best_cost = text, cost
    return best or f"Is it {guess}?"


def solver_policy(env: TextEnv, history: History) -> str:
    return best_question(env.kb, history)  # type: ignore[attr-defined]


NARROWING_KINDS = ("in_continent", "in_country", "guess")


def narrowing_question(kb: CityKB, history: History, rng: random.Random) -> str:
    """A plain human strategy: yes/no questions about the commonest continent, then country, of the
    cities still possible, then guesses among them. It keeps track of only those yes/no answers and its
    wrong guesses, not of what the open questions revealed."""
    alive = [kb.cities[i] for i in candidates(kb, _pairs_only(kb, list(history)))]
    if not alive:
        return f"Is it {rng.choice(kb.cities)['name']}?"
    for field in ("continents", "country"):
        counts = Counter(v for c in alive for v in (c[field] if field == "continents" else [c[field]]))
        open_values = [v for v, k in counts.most_common() if k < len(alive)]  # answers not yet known
        if open_values:
            return f"Is it in {open_values[0]}?"
    return f"Is it {rng.choice(alive)['name']}?"


def _pairs_only(kb: CityKB, turns: list[Turn]) -> list[Turn]:
    """Keep (question, reply) pairs whose question is a narrowing kind; drop the rest."""
    kept = []
    for asked, replied in zip(turns, turns[1:], strict=False):
        if asked.is_action and not replied.is_action:
            question = kb.parse(asked.text)
            if question is not None and question.kind in NARROWING_KINDS:
                kept += [asked, replied]
    return kept


def random_question(kb: CityKB, rng: random.Random) -> str:
    roll = rng.random()
    city = rng.choice(kb.cities)
    if roll < 0.45:
        return rng.choice(rng.choice(list(OPEN_QUESTIONS.values())))
    if roll < 0.75:
        return rng.choice(
            [
                f"Is it in {city['country']}?",
                f"Is it in {rng.choice(city['continents'])}?",
                f"Do people there speak {rng.choice(city['languages'])}?",
                f"Does it have more than {rng.choice([2, 5, 10, 15, 20])} million people?",
                f"Is it in the {rng.choice(['northern', 'southern'])} hemisphere?",
                f"Does it have a {rng.choice(['tropical', 'mediterranean', 'desert', 'continental'])} climate?",
            ]
        )
    if roll < 0.9:
        return rng.choice([f"Is it {city['name']}?", f"{city['name']}?", f"My guess is {city['name']}."])
    return rng.choice(CHATTER)


NARROWING_SHARE = 0.5


@behaviour(
    TASK,
    f"each turn: {NARROWING_SHARE:.0%} the narrowing questioner (yes/no on the commonest continent, then "
    "country, of the cities still possible, then guesses one of them; it tracks only those answers), otherwise: "
    "45% a random open question, 30% a yes/no question about a random city's facts, 15% a random city "
    "guess, 10% small talk",
)
def make_behaviour(rng: random.Random):
    def policy(env: TextEnv, history: History) -> str:
        kb = env.kb  # type: ignore[attr-defined]
        if rng.random() < NARROWING_SHARE:
            return narrowing_question(kb, history, rng)
        return random_question(kb, rng)

    return policy


def measure_normalisation(n: int = 1000, seed: int = 0) -> Normalisation:
    """min: every turn wasted; avg: the behaviour dataset's mean return (as `datasets.generate(TASK,
    n, seed, ...)` writes it); max: the solver's mean over every city."""
    from ml.rl.envs.trajectories import rollout

    env = GuessCityEnv()
    policy = make_behaviour(random.Random(seed))
    avg = sum(rollout(env, policy, seed * 1_000_003 + i).ret for i in range(n)) / n
    returns = [rollout(GuessCityEnv(city=c["name"]), solver_policy, 0).ret for c in env.kb.cities]
    return Normalisation(-float(MAX_TURNS), round(avg, 4), round(sum(returns) / len(returns), 4), "measured")
