"""Regenerate tiny_corpus.jsonl: short, simple English sentences from templates.

    python -m ml.lm.data.make_corpus

The corpus is the default dataset of lm.train_tiny. It is generated (seeded, so the file is
stable) rather than copied from anywhere, and small enough to train on in seconds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

NAMES = ["Ana", "Ben", "Cleo", "Dev", "Emma", "Finn", "Grace", "Hugo", "Iris", "Jack", "Lena", "Omar"]
ANIMALS = ["cat", "dog", "bird", "fox", "horse", "rabbit", "owl", "goat", "duck", "mouse"]
THINGS = ["ball", "book", "cup", "hat", "kite", "lamp", "box", "apple", "coat", "key"]
COLOURS = ["red", "blue", "green", "yellow", "black", "white", "brown", "small", "big", "old"]
PLACES = [
    "the park",
    "the garden",
    "the kitchen",
    "the market",
    "the river",
    "the school",
    "the barn",
    "town",
]
VERBS = ["sees", "finds", "likes", "holds", "wants", "takes", "paints", "drops"]
MOTIONS = ["runs", "walks", "jumps", "sleeps", "sings", "waits", "plays", "sits"]
TIMES = ["in the morning", "at noon", "after lunch", "in the evening", "at night", "every day"]
WEATHER = ["sunny", "rainy", "cold", "warm", "windy", "quiet"]

TEMPLATES = [
    "{name} {verb} a {colour} {thing}.",
    "The {animal} {motion} in {place}.",
    "{name} and {name2} go to {place} {time}.",
    "It is {weather} today, so the {animal} {motion} in {place}.",
    "The {colour} {animal} {motion} {time}.",
    "{name} {verb} the {thing} near {place}.",
    "Where is the {thing}? It is in {place}.",
    "{name} has a {animal} and a {colour} {thing}.",
    "Every {animal} {motion} when it is {weather}.",
    "{name} says the {thing} is {colour}.",
]


def sentence(rng: random.Random) -> str:
    name, name2 = rng.sample(NAMES, 2)
    return rng.choice(TEMPLATES).format(
        name=name,
        name2=name2,
        animal=rng.choice(ANIMALS),
        thing=rng.choice(THINGS),
        colour=rng.choice(COLOURS),
        place=rng.choice(PLACES),
        verb=rng.choice(VERBS),
        motion=rng.choice(MOTIONS),
        time=rng.choice(TIMES),
        weather=rng.choice(WEATHER),
    )


def make_corpus(n_lines: int = 1500, seed: int = 0) -> list[str]:
    """`n_lines` short texts of one or two sentences each."""
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(rng.choice((1, 1, 2)))) for _ in range(n_lines)]


def main() -> None:
    out = Path(__file__).with_name("tiny_corpus.jsonl")
    with out.open("w") as f:
        for text in make_corpus():
            f.write(json.dumps({"text": text}) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
