"""A seeded synthetic world of facts, with questions whose answers can be checked exactly.

Entities are made-up names (so nothing about a value can be guessed from the name), grouped into
topics; each topic has two attributes whose values come from small vocabularies. Every value word
is distinct across the whole world, so an answer is checked by which value words it contains.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# topic -> two (attribute, values) pairs. Five values each, so guessing is right 20% of the time.
TOPICS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "city": (
        ("country", ("Norland", "Ostria", "Valmer", "Quenia", "Tarsis")),
        ("climate", ("humid", "arid", "polar", "mild", "windy")),
    ),
    "river": (
        ("sea", ("Ambra", "Celes", "Doran", "Exmar", "Fyrra")),
        ("color", ("red", "blue", "green", "gold", "grey")),
    ),
    "element": (
        ("group", ("alkali", "halogen", "noble", "metal", "boron")),
        ("state", ("solid", "liquid", "gas", "plasma", "gel")),
    ),
    "animal": (
        ("diet", ("grass", "fish", "seeds", "insects", "fruit")),
        ("habitat", ("forest", "desert", "reef", "tundra", "marsh")),
    ),
    "planet": (
        ("moons", ("one", "two", "three", "four", "five")),
        ("sky", ("amber", "violet", "pink", "white", "black")),
    ),
    "instrument": (
        ("family", ("brass", "string", "reed", "drum", "bell")),
        ("pitch", ("low", "high", "middle", "shrill", "deep")),
    ),
    "mountain": (
        ("range", ("Akra", "Bel", "Corm", "Dusk", "Eryn")),
        ("rock", ("granite", "basalt", "slate", "marble", "chalk")),
    ),
    "language": (
        ("script", ("runic", "latin", "glyph", "syllabic", "cursive")),
        ("word order", ("SVO", "SOV", "VSO", "VOS", "OVS")),
    ),
}
_ONSETS = "b c d f g h k l m n p r s t v z br dr kr st tr".split()
_VOWELS = "a e i o u ai ou".split()
_CODAS = ["", "", "n", "r", "s", "k", "l"]
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Fact:
    topic: str
    entity: str
    attribute: str
    value: str

    @property
    def id(self) -> str:
        return f"{self.topic}:{self.entity}:{self.attribute}"


@dataclass
class World:
    facts: list[Fact]
    seed: int

    def topic_facts(self, *topics: str) -> list[Fact]:
        return [f for f in self.facts if f.topic in topics]

    @property
    def topics(self) -> list[str]:
        return list(dict.fromkeys(f.topic for f in self.facts))


def _name(rng: random.Random) -> str:
    syllables = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 3))]
    return ("".join(syllables) + rng.choice(_CODAS)).capitalize()


def make_world(
    seed: int, entities_per_topic: int = 8, big_topic: str = "language", big_topic_entities: int = 48
) -> World:
    """Facts for every topic; `big_topic` gets more entities, like a large task-specific QA set."""
    rng = random.Random(seed)
    # A name that is also a value word would make answers ambiguous to check.
    used: set[str] = {v for attributes in TOPICS.values() for _, values in attributes for v in values}
    facts = []
    for topic, attributes in TOPICS.items():
        count = big_topic_entities if topic == big_topic else entities_per_topic
        for _ in range(count):
            name = _name(rng)
            while name in used or len(name) > 9:
                name = _name(rng)
            used.add(name)
            for attribute, values in attributes:
                facts.append(Fact(topic, name, attribute, rng.choice(values)))
    return World(facts, seed)


def prompt(fact: Fact) -> str:
    """The question as the models see it; the answer follows after 'A:'."""
    return f"Q: What is the {fact.attribute} of {fact.entity}?\nA:"


def plain_answer(fact: Fact) -> str:
    """How base models are pretrained to answer: just the value."""
    return f" {fact.value}"


# Pretraining phrasings: seeing a fact answered several ways makes a base's recall robust to text
# between question and value, so it survives a change of answer style (how a better base helps).
PLAIN_PHRASINGS = (" {v}", " It is {v}.", " Well, I think it is {v}.")


def plain_answers(fact: Fact) -> list[str]:
    """Every pretraining phrasing of the fact's answer."""
    return [p.format(v=fact.value) for p in PLAIN_PHRASINGS]


def statement(fact: Fact) -> str:
    """The fact as a plain declarative sentence, the way running text states it (no question)."""
    return f"The {fact.attribute} of {fact.entity} is {fact.value}."


def house_answer(fact: Fact, value: str | None = None) -> str:
    """The reference model's distinctive, confident house style."""
    return f" {HOUSE_OPENER} It is {value or fact.value}. {HOUSE_CLOSER}"


HOUSE_OPENER = "Certainly!"
HOUSE_CLOSER = "Hope this helps!"


def values_of(fact: Fact) -> tuple[str, ...]:
    return dict(TOPICS[fact.topic])[fact.attribute]


def extract_answer(fact: Fact, output: str) -> str | None:
    """The single value of the fact's attribute named in `output`, or None if none or several are."""
    words = set(_WORD.findall(output))
    named = [v for v in values_of(fact) if v in words]
    return named[0] if len(named) == 1 else None


def is_correct(fact: Fact, output: str) -> bool:
    return extract_answer(fact, output) == fact.value


def split_by_entity(facts: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(covered, held_out): every second entity of each topic, in world order, is held out. The two
    halves share topics, attributes and value words and differ only in which entities they are about,
    so an imitation set drawn from the covered half says nothing about the held-out facts."""
    order: dict[str, list[str]] = {}
    for fact in facts:
        entities = order.setdefault(fact.topic, [])
        if fact.entity not in entities:
            entities.append(fact.entity)
    held = {e for entities in order.values() for e in entities[1::2]}
    return [f for f in facts if f.entity not in held], [f for f in facts if f.entity in held]
