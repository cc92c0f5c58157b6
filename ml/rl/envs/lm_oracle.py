"""A causal LM as the counterpart in Twenty Questions, Guess My City and Car Dealer.

    oracle = LMOracle("path/to/model")            # or LMOracle((model, tokenizer))
    env = make_env("guess_city", oracle=oracle)

The prompt states the hidden secret (the object; the city's facts and "never name the city"; the
buyer's profile and how to end) and the dialogue so far, and the LM writes the next line. The reply
is that line's first line, stripped; for guess_city the city's name and aliases are masked too, since
the rule is that the oracle never names the city. The environments keep their own rules (what counts
as a correct guess, the car dealer's Decision markers and price), so any LM can stand in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.rl.envs.base import EnvError, Turn
from ml.rl.envs.guess_city import mask_city

EMPTY_REPLY = "I don't know."

# Who speaks each side of the dialogue in the prompt.
ROLES = {
    "twenty_questions": ("Question", "Answer"),
    "guess_city": ("Question", "Answer"),
    "car_dealer": ("Seller", "Buyer"),
}


def _listing(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def instructions(task: str, secret: dict[str, Any]) -> str:
    """The part of the prompt that states the rules and the secret."""
    if task == "twenty_questions":
        return (
            f"You are playing 20 questions. The object is {secret['object']} (a kind of {secret['category']}). "
            "Answer each question about it with Yes or No.\n"
        )
    if task == "guess_city":
        c = secret
        facts = [
            f"It is in {c['country']} ({_listing(c['continents'])}), in the {c['hemisphere']} hemisphere.",
            f"People speak {_listing(c['languages'])}.",
            f"It has a {c['climate']} climate, with {c['weather']}.",
            "It is on the coast, on " + c["sea"] + "." if c["sea"] else "It is inland.",
            f"It lies on {c['water']}." if c["water"] else "",
            f"About {c['population_millions']:g} million people live there.",
            "It is its country's capital." if c["capital"] else "It is not a national capital.",
            f"Landmarks: {_listing(c['landmarks'])}.",
            f"It is known for {c['famous_for']}.",
        ]
        return (
            f"You are playing Guess My City. The city is {c['name']}. "
            + " ".join(f for f in facts if f)
            + " Answer the player's questions truthfully in one sentence, but never name the city.\n"
        )
    if task == "car_dealer":
        p = secret
        return (
            f"You are a car buyer talking to a seller. Your personality: {p['personality']}. You want a "
            f"{p['brand']} {p['type']} with {_listing(p['features'])}, and your budget is ${p['budget']:,}. "
            "Answer the seller in one line. When you decide, end your line with Decision=Accept or "
            "Decision=Reject.\n"
        )
    raise EnvError(f"LMOracle has no prompt for task {task!r}")


def build_prompt(task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
    agent, counterpart = ROLES.get(task, ("Player", "Oracle"))
    lines = [instructions(task, secret)]
    for turn in history[1:] if task != "car_dealer" else history:  # 20Q/city openings are boilerplate
        speaker = agent if turn.is_action else counterpart
        lines.append(f"{speaker}: {turn.text.strip()}\n")
    lines.append(f"{agent}: {utterance.strip()}\n{counterpart}:")
    return "".join(lines)


def first_line(text: str) -> str:
    for raw in text.strip().splitlines():
        if raw.strip():
            return raw.strip()
    return ""


class LMOracle:
    """The Oracle protocol backed by a local causal LM (greedy by default)."""

    def __init__(
        self,
        model: str | Path | tuple[Any, Any],
        max_new_tokens: int = 48,
        temperature: float = 0.0,
        seed: int = 0,
    ):
        if isinstance(model, (str, Path)):
            from ml.lm.loading import load_model

            self.model, self.tokenizer = load_model(model)
        else:
            self.model, self.tokenizer = model
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed

    def reply(self, task: str, secret: dict[str, Any], history: Sequence[Turn], utterance: str) -> str:
        from ml.lm.generate import next_line

        prompt = build_prompt(task, secret, history, utterance)
        # The seed follows the game's progress, so sampled replies vary across turns but replay exactly.
        text = next_line(
            self.model,
            self.tokenizer,
            prompt,
            self.max_new_tokens,
            self.temperature,
            self.seed + len(history),
        )
        reply = first_line(text) or EMPTY_REPLY
        if task == "guess_city":
            reply = mask_city(reply, secret)
        return reply
