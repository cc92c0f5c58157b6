"""Domains with exact answers and checkable steps, behind one interface (test-time compute, issue 9).

The built-in domain is step-by-step arithmetic chains. A problem is 2-8 integers joined by + - *,
evaluated left to right (no precedence: each step applies one operator to the running value), e.g.

    problem   37+5*3-40
    solution  37+5=42
              42*3=126
              126-40=86
              answer: 86

Difficulty spreads widely: short additions are easy for a tiny model, long chains with products of
large numbers are hard. `with_slips` writes the imperfect solutions a base policy learns from: a step
can get a wrong result, and later steps carry the mistake on consistently, as a real slip would.

Another domain plugs in by implementing `Domain` (e.g. Countdown, or JSONL problems for a local LM).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Protocol

ANSWER_PREFIX = "answer: "
OPERATORS = "+-*"


@dataclass(frozen=True)
class Problem:
    text: str  # what the policy is prompted with
    answer: str  # the exact final answer
    n_steps: int


class Domain(Protocol):
    name: str

    def prompt(self, problem: Problem) -> str: ...

    def solution(self, problem: Problem) -> str:
        """A correct step-by-step solution, one step per line, ending with the answer line."""
        ...

    def steps(self, text: str) -> list[str]: ...

    def answer(self, text: str) -> str | None:
        """The final answer a solution commits to, or None if it has none."""
        ...

    def step_correct(self, problem: Problem, steps: list[str], index: int) -> bool:
        """Exact step label: is step `index` valid and still on a path to the right answer?"""
        ...


@dataclass(frozen=True)
class ArithmeticChains:
    """Left-to-right chains of 2-8 operands; operand, multiplier and value ranges set the difficulty.

    `max_value` (0: none) keeps every running value within 0..max_value, so difficulty comes from the
    chain's length rather than from ever longer numbers, which a tiny model cannot carry.
    """

    min_operands: int = 2
    max_operands: int = 8
    max_operand: int = 20
    max_multiplier: int = 5  # the right operand of '*' stays small, as in mental arithmetic
    max_value: int = 0
    name: str = "arithmetic"

    def __post_init__(self) -> None:
        if not 2 <= self.min_operands <= self.max_operands:
            raise ValueError("need 2 <= min_operands <= max_operands")
        if self.max_operand < 2 or self.max_multiplier < 2:
            raise ValueError("max_operand and max_multiplier must be at least 2")
        if self.max_value and self.max_value < 2 * self.max_operand:
            raise ValueError(f"max_value: 0 (no cap) or at least twice max_operand ({2 * self.max_operand})")

    def sample(self, rng: random.Random) -> Problem:
        n = rng.randint(self.min_operands, self.max_operands)
        value = rng.randint(1, self.max_operand)
        text = str(value)
        for _ in range(n - 1):
            while True:  # with a cap, redraw until the step stays in range ('+' or '-' always can)
                op = rng.choice(OPERATORS)
                operand = (
                    rng.randint(2, self.max_multiplier) if op == "*" else rng.randint(1, self.max_operand)
                )
                result = apply(value, op, operand)
                if not self.max_value or 0 <= result <= self.max_value:
                    break
            value = result
            text += f"{op}{operand}"
        return Problem(text, str(value), n - 1)

    @staticmethod
    def parse(text: str) -> tuple[int, list[tuple[str, int]]]:
        tokens = re.findall(r"\d+|[-+*]", text)
        if not tokens or len(tokens) % 2 == 0 or "".join(tokens) != text.replace(" ", ""):
            raise ValueError(f"not an arithmetic chain: {text!r}")
        return int(tokens[0]), [(tokens[i], int(tokens[i + 1])) for i in range(1, len(tokens), 2)]

    @classmethod
    def evaluate(cls, text: str) -> int:
        value, rest = cls.parse(text)
        for op, operand in rest:
            value = apply(value, op, operand)
        return value

    def prompt(self, problem: Problem) -> str:
        return problem.text + "\n"

    def solution(self, problem: Problem) -> str:
        return with_slips(problem, random.Random(0), slip_rate=0.0)

    def steps(self, text: str) -> list[str]:
        return [line for line in text.split("\n") if line.strip()]

    def answer(self, text: str) -> str | None:
        for line in reversed(self.steps(text)):
            if line.startswith(ANSWER_PREFIX):
                value = line[len(ANSWER_PREFIX) :].strip()
                return value if re.fullmatch(r"-?\d+", value) else None
        return None

    def step_correct(self, problem: Problem, steps: list[str], index: int) -> bool:
        """Every step up to and including `index` computes the chain's own next value exactly."""
        value, rest = self.parse(problem.text)
        for i, line in enumerate(steps[: index + 1]):
            if line.startswith(ANSWER_PREFIX):
                return i == len(rest) and line[len(ANSWER_PREFIX) :].strip() == str(value)
            if i >= len(rest):
                return False
            op, operand = rest[i]
            expected_value = apply(value, op, operand)
            if line.strip() != f"{value}{op}{operand}={expected_value}":
                return False
            value = expected_value
        return True


def apply(value: int, op: str, operand: int) -> int:
    return value + operand if op == "+" else value - operand if op == "-" else value * operand


def slip(rng: random.Random, value: int) -> int:
    """A plausible wrong result: off by a little, off by ten, or two digits swapped."""
    kind = rng.random()
    digits = str(abs(value))
    if kind < 0.4 and len(digits) >= 2:
        i = rng.randrange(len(digits) - 1)
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if swapped != digits:
            return int(swapped) * (1 if value >= 0 else -1)
    delta = rng.choice([-10, 10]) if kind < 0.7 else rng.choice([-2, -1, 1, 2])
    return value + delta


def with_slips(problem: Problem, rng: random.Random, slip_rate: float) -> str:
    """A solution whose steps each slip with probability `slip_rate`; later steps build on the slip."""
    value, rest = ArithmeticChains.parse(problem.text)
    lines = []
    for op, operand in rest:
        result = apply(value, op, operand)
        if rng.random() < slip_rate:
            result = slip(rng, result)
        lines.append(f"{value}{op}{operand}={result}")
        value = result
    lines.append(f"{ANSWER_PREFIX}{value}")
    return "\n".join(lines)


def split_of(text: str, shares: tuple[float, float] = (0.8, 0.1)) -> str:
    """'train', 'validation' or 'test', fixed by a hash of the problem text, so splits never overlap."""
    u = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64
    return "train" if u < shares[0] else "validation" if u < shares[0] + shares[1] else "test"


def make_splits(
    domain: ArithmeticChains, seed: int, sizes: dict[str, int], patience: int = 20_000
) -> dict[str, list[Problem]]:
    """Distinct problems for each split, e.g. sizes={'train': 5000, 'validation': 200, 'test': 500}.

    Each problem lands in the split its hash assigns, so the splits are disjoint for any seed and
    sizes, and a problem drawn twice is kept once. Gives up after `patience` draws in a row that add
    nothing (the domain has too few distinct problems).
    """
    unknown = set(sizes) - {"train", "validation", "test"}
    if unknown:
        raise ValueError(f"unknown splits {sorted(unknown)}")
    rng = random.Random(seed)
    out: dict[str, list[Problem]] = {name: [] for name in sizes}
    seen: set[str] = set()
    stale = 0
    while stale < patience:
        if all(len(out[name]) >= n for name, n in sizes.items()):
            return out
        problem = domain.sample(rng)
        name = split_of(problem.text)
        stale += 1
        if problem.text in seen or name not in out or len(out[name]) >= sizes[name]:
            continue
        seen.add(problem.text)
        out[name].append(problem)
        stale = 0
    raise ValueError(f"could not draw {sizes} distinct problems from this domain; widen its ranges")
