"""Wordle (LMRL-Gym): guess a five-letter word in six tries, against a hidden word that keeps moving.

    history:  "guess a five-letter word: 6 tries, letters space-separated\n"
    agent:    "s o a r e\n"          (an unspaced "soare" is accepted too, for people; case is ignored)
    env:      "b y g b b\n"          b = not in the word, y = in the word elsewhere, g = right place

Repeated letters score as in the real game: greens first, then yellows left to right, each letter of
the hidden word earning at most one mark. After every scored guess the hidden word is re-drawn (with
the env's seeded rng) from the vocabulary words consistent with all the feedback so far, so memorising
one answer does not help.

Reward −1 for each guess that does not solve it, 0 for the one that does (the game ends). At most six
turns. A malformed guess or a word outside the vocabulary costs −1, is not scored, and the reply says
why ("invalid: ..."); it still uses one of the six turns, as every step does (TextEnv counts steps), so
the worst return is −6, the paper's minimum.

The vocabulary is `data/wordle_words.txt` (1,500 common words; see data/build_wordle_words.py), both
the guesses allowed and the possible answers. The paper's has about 400, so returns are not directly
comparable: the behaviour policy averages about −4.57 here against the paper's −4.12. Every
guess/answer feedback pattern is precomputed once per process as a 1500×1500 table of base-3 codes.
"""

from __future__ import annotations

import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ml.rl.envs.base import History, Normalisation, StepResult, TextEnv, register_task
from ml.rl.envs.datasets import behaviour

WORDS_FILE = Path(__file__).resolve().parent / "data" / "wordle_words.txt"
WORD_LENGTH = 5
MAX_GUESSES = 6
ABSENT, PRESENT, CORRECT = 0, 1, 2
MARKS = "byg"  # feedback letter for ABSENT, PRESENT, CORRECT
COLOURS = ("absent", "present", "correct")  # names the UI uses for the same three
SOLVED = sum(CORRECT * 3**i for i in range(WORD_LENGTH))  # the pattern code of "g g g g g"
OPENING = "guess a five-letter word: 6 tries, letters space-separated"

_SPACED = re.compile(r"[a-z](?:\s+[a-z]){4}")
_UNSPACED = re.compile(r"[a-z]{5}")


def score_guess(guess: str, answer: str) -> list[int]:
    """Per-letter marks (ABSENT/PRESENT/CORRECT) for `guess` against `answer`, as the real game scores
    repeated letters. The plain reference version; the env reads the precomputed table."""
    marks = [ABSENT] * WORD_LENGTH
    unmatched: dict[str, int] = {}
    for i, (g, a) in enumerate(zip(guess, answer, strict=True)):
        if g == a:
            marks[i] = CORRECT
        else:
            unmatched[a] = unmatched.get(a, 0) + 1
    for i, g in enumerate(guess):
        if marks[i] != CORRECT and unmatched.get(g, 0) > 0:
            marks[i] = PRESENT
            unmatched[g] -= 1
    return marks


def feedback_text(marks: list[int]) -> str:
    return " ".join(MARKS[m] for m in marks)


def decode_pattern(code: int) -> list[int]:
    return [(int(code) // 3**i) % 3 for i in range(WORD_LENGTH)]


@cache
def vocabulary() -> tuple[str, ...]:
    words = tuple(w.strip() for w in WORDS_FILE.read_text().splitlines() if w.strip())
    bad = [w for w in words if not _UNSPACED.fullmatch(w)]
    if bad:
        raise ValueError(f"{WORDS_FILE}: not five lower-case letters: {bad[:5]}")
    return words


@cache
def word_index() -> dict[str, int]:
    return {w: i for i, w in enumerate(vocabulary())}


@cache
def pattern_table() -> np.ndarray:
    """table[g, a] = base-3 code of the feedback for guess g against answer a (position i weighs 3**i)."""
    letters = np.array([[ord(c) - 97 for c in w] for w in vocabulary()], dtype=np.int8)
    guesses, answers = letters[:, None, :], letters[None, :, :]
    green = guesses == answers  # (V, V, 5)
    yellow = np.zeros_like(green)
    for i in range(WORD_LENGTH):
        letter = guesses[:, :, i]
        # How many of this letter the answer still has outside its green positions ...
        available = ((answers == letter[:, :, None]) & ~green).sum(axis=2)
        # ... less those already spent on yellows earlier in the guess.
        spent = np.zeros_like(available)
        for j in range(i):
            spent += (guesses[:, :, j] == letter) & yellow[:, :, j]
        yellow[:, :, i] = ~green[:, :, i] & (available > spent)
    marks = green.astype(np.uint8) * CORRECT + yellow.astype(np.uint8) * PRESENT
    weights = (3 ** np.arange(WORD_LENGTH)).astype(np.uint8)
    return (marks * weights).sum(axis=2, dtype=np.uint8)


def parse_guess(text: str) -> tuple[str | None, str]:
    """(word, "") for a well-formed guess in the vocabulary, else (None, why it is invalid)."""
    lowered = text.strip().lower()
    if _SPACED.fullmatch(lowered):
        word = "".join(lowered.split())
    elif _UNSPACED.fullmatch(lowered):
        word = lowered
    else:
        return None, "a guess is five letters separated by spaces, like s o a r e"
    if word not in word_index():
        return None, f"{' '.join(word)} is not in the word list"
    return word, ""


def spaced(word: str) -> str:
    return " ".join(word)


class WordleEnv(TextEnv):
    name = "wordle"
    max_steps = MAX_GUESSES
    normalisation = Normalisation(-6.0, -4.12, -1.94)

    def __init__(self) -> None:
        super().__init__()
        self.words = vocabulary()
        self.index = word_index()
        self.table = pattern_table()
        self.answer = 0  # index of the hidden word
        self.candidates = np.arange(len(self.words))  # indices consistent with all feedback so far
        self.guesses: list[dict[str, Any]] = []  # for render(): scored and invalid guesses in order

    def _reset(self) -> str:
        self.answer = self.rng.randrange(len(self.words))
        self.candidates = np.arange(len(self.words))
        self.guesses = []
        return OPENING

    def _step(self, action: str) -> StepResult:
        result = self._score(action)
        if self.steps >= self.max_steps and not result.done:
            result.info["answer"] = self.words[self.answer]  # out of turns: say what it was
        return result

    def _score(self, action: str) -> StepResult:
        word, why = parse_guess(action)
        if word is None:
            self.guesses.append({"text": action, "invalid": why})
            return StepResult(f"invalid: {why}", -1.0, False, {"invalid": True})
        guess = self.index[word]
        code = int(self.table[guess, self.answer])
        marks = decode_pattern(code)
        self.guesses.append({"word": word, "marks": marks})
        if code == SOLVED:
            self.candidates = np.array([guess])
            return StepResult(feedback_text(marks), 0.0, True, {"answer": word})
        self.candidates = self.candidates[self.table[guess, self.candidates] == code]
        # Re-draw the hidden word among those still possible (the current one always is).
        self.answer = int(self.candidates[self.rng.randrange(len(self.candidates))])
        return StepResult(feedback_text(marks), -1.0, False)

    # --- helpers for policies and the UI

    def consistent_words(self) -> list[str]:
        """Vocabulary words consistent with all feedback so far (the hidden word is one of them)."""
        return [self.words[i] for i in self.candidates]

    def legal_actions(self) -> list[str] | None:
        # Any of the 1,500 vocabulary words is a legal guess: too many to list as a hint.
        return None

    def render(self) -> dict[str, Any]:
        rows, keyboard = [], {}
        for g in self.guesses:
            if "invalid" in g:
                rows.append({"text": g["text"], "invalid": g["invalid"]})
                continue
            letters = []
            for letter, mark in zip(g["word"], g["marks"], strict=True):
                letters.append({"letter": letter, "colour": COLOURS[mark]})
                if mark > keyboard.get(letter, -1):
                    keyboard[letter] = mark
            rows.append({"word": g["word"], "letters": letters})
        state = super().render()
        state.update(
            guesses=rows,
            keyboard={letter: COLOURS[mark] for letter, mark in sorted(keyboard.items())},
            max_guesses=MAX_GUESSES,
            candidates_left=len(self.candidates),
        )
        if self.done:
            state["answer"] = self.words[self.answer]
        return state


@register_task("wordle")
def make_wordle() -> WordleEnv:
    return WordleEnv()


# --- policies


def _wordle(env: TextEnv) -> WordleEnv:
    if not isinstance(env, WordleEnv):
        raise TypeError(f"a Wordle policy needs a WordleEnv, not {type(env).__name__}")
    return env


@behaviour("wordle", "34% a word consistent with the feedback so far, otherwise a random vocabulary word")
def behaviour_policy(rng: random.Random, consistent_rate: float = 0.34):
    def policy(env: TextEnv, history: History) -> str:
        wordle = _wordle(env)
        if rng.random() < consistent_rate:
            return spaced(wordle.words[int(wordle.candidates[rng.randrange(len(wordle.candidates))])])
        return spaced(wordle.words[rng.randrange(len(wordle.words))])

    return policy


@cache
def _best_opening() -> int:
    return _most_splitting(np.arange(len(vocabulary())))


def _most_splitting(candidates: np.ndarray) -> int:
    """The candidate whose feedback splits the candidates into the most groups (ties: the first)."""
    patterns = np.sort(pattern_table()[np.ix_(candidates, candidates)], axis=1)
    groups = 1 + (np.diff(patterns, axis=1) != 0).sum(axis=1)
    return int(candidates[int(np.argmax(groups))])


def solver_policy(rng: random.Random | None = None):
    """Always guesses a consistent word, the one splitting the remaining candidates most finely."""

    def policy(env: TextEnv, history: History) -> str:
        wordle = _wordle(env)
        if len(wordle.candidates) == len(wordle.words):
            return spaced(wordle.words[_best_opening()])
        return spaced(wordle.words[_most_splitting(wordle.candidates)])

    return policy
