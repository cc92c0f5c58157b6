"""Wordle: real-game feedback with repeated letters, the consistent re-draw, rewards, the cap, invalid
guesses, the solver and behaviour policies, and that no input string crashes it."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.rl.envs import make_env
from ml.rl.envs.datasets import BEHAVIOURS, generate
from ml.rl.envs.trajectories import rollout
from ml.rl.envs.wordle import (
    ABSENT,
    CORRECT,
    MARKS,
    PRESENT,
    WordleEnv,
    behaviour_policy,
    decode_pattern,
    feedback_text,
    parse_guess,
    pattern_table,
    score_guess,
    solver_policy,
    vocabulary,
)


def marks_of(text: str) -> list[int]:
    return [MARKS.index(c) for c in text.split()]


@pytest.mark.parametrize(
    ("guess", "answer", "expected"),
    [
        ("speed", "abide", "b b y b y"),  # two e's guessed, one in the answer: only the first is yellow
        ("erase", "speed", "y b b y y"),  # two e's guessed, two in the answer (both elsewhere)
        ("geese", "those", "b b b g g"),  # the answer's one e is green, so the other e's are grey
        ("hello", "world", "b b b g y"),  # the green l uses the answer's only l
        ("llama", "label", "g y y b b"),  # second l yellow (answer has two); second a grey
        ("abbey", "kebab", "y y g y b"),  # three letters of one answer, matched once each
        ("error", "rotor", "b y b g g"),  # three r's guessed, two in the answer, one of them green
        ("stare", "stare", "g g g g g"),
    ],
)
def test_feedback_with_repeated_letters_is_scored_like_the_real_game(guess, answer, expected):
    assert feedback_text(score_guess(guess, answer)) == expected


def test_the_precomputed_table_agrees_with_the_reference_scorer():
    words, table = vocabulary(), pattern_table()
    rng = random.Random(0)
    for _ in range(2000):
        g, a = rng.randrange(len(words)), rng.randrange(len(words))
        assert decode_pattern(table[g, a]) == score_guess(words[g], words[a]), (words[g], words[a])
    # A whole row, including the words with repeated letters.
    g = words.index("geese") if "geese" in words else words.index("sleep")
    assert all(decode_pattern(table[g, a]) == score_guess(words[g], words[a]) for a in range(len(words)))


def test_vocabulary_is_about_fifteen_hundred_common_lowercase_words():
    words = vocabulary()
    assert 1000 <= len(words) <= 2000
    assert len(set(words)) == len(words)
    assert all(len(w) == 5 and w.isascii() and w.isalpha() and w.islower() for w in words)
    assert {"about", "house", "water"} <= set(words)
    assert not {"david", "texas", "gonna"} & set(words)  # names and contractions were filtered out


def test_guesses_parse_spaced_or_unspaced_in_any_case():
    assert parse_guess("h o u s e") == ("house", "")
    assert parse_guess("  H O U S E ") == ("house", "")
    assert parse_guess("house") == ("house", "")
    assert parse_guess("h  o u\ts e") == ("house", "")
    for malformed in ["", "hous", "h o u s", "h o u s e s", "ho use", "h,o,u,s,e", "12345", "hou5e"]:
        word, why = parse_guess(malformed)
        assert word is None and "five letters" in why, malformed
    word, why = parse_guess("x y z z y")
    assert word is None and "not in the word list" in why


def test_redraw_keeps_the_hidden_word_consistent_with_all_feedback():
    env = WordleEnv()
    words = env.words
    moved = 0
    for seed in range(12):
        env.reset(seed)
        rng = random.Random(seed + 1000)  # not the env's own stream, which would guess its answer
        scored: list[tuple[str, list[int]]] = []
        while not env.done:
            before = env.answer
            guess = words[rng.randrange(len(words))]
            result = env.step(" ".join(guess))
            scored.append((guess, marks_of(result.observation)))
            hidden = words[env.answer]
            assert all(score_guess(g, hidden) == m for g, m in scored)
            expected = [w for w in words if all(score_guess(g, w) == m for g, m in scored)]
            assert env.consistent_words() == expected
            moved += env.answer != before
    assert moved > 0  # the hidden word really is re-drawn


def test_each_unsolved_guess_costs_one_and_the_game_stops_after_six():
    env = WordleEnv()
    env.reset(3)
    rewards = []
    for _ in range(6):
        wrong = next(w for w in env.words if w != env.words[env.answer])
        result = env.step(" ".join(wrong))
        rewards.append(result.reward)
    assert rewards == [-1.0] * 6
    assert result.done and result.info["truncated"] and result.info["answer"] in env.words
    assert env.total_reward == -6.0
    assert env.render()["answer"] == result.info["answer"]


def test_the_solving_guess_scores_zero_and_ends_the_game():
    env = WordleEnv()
    env.reset(5)
    env.step("h o u s e")
    answer = env.words[env.answer]
    result = env.step(" ".join(answer))
    assert (result.observation, result.reward, result.done) == ("g g g g g\n", 0.0, True)
    assert result.info["answer"] == answer and env.total_reward == -1.0


def test_invalid_guesses_cost_one_are_not_scored_say_why_and_use_a_turn():
    env = WordleEnv()
    env.reset(1)
    result = env.step("xyzzy")
    assert result.reward == -1.0 and not result.done and result.info["invalid"]
    assert result.observation.startswith("invalid:") and "not in the word list" in result.observation
    assert len(env.consistent_words()) == len(env.words)  # nothing was scored
    result = env.step("s o a r")
    assert "five letters" in result.observation
    assert env.render()["guesses"][0]["invalid"]
    for _ in range(4):
        result = env.step("!!!")
    assert result.done and result.info["truncated"] and env.total_reward == -6.0


def test_same_seed_and_guesses_give_the_same_game():
    def play(seed):
        env = WordleEnv()
        env.reset(seed)
        return [env.step(g).observation for g in ["h o u s e", "p l a n t", "c r a n e", "m i g h t"]]

    assert play(11) == play(11)


def test_render_colours_letters_and_keeps_each_keys_best_colour():
    env = WordleEnv()
    env.reset(0)
    env.answer = env.words.index("house")
    env.step("h o r s e")
    state = env.render()
    colours = [c["colour"] for c in state["guesses"][0]["letters"]]
    assert colours == ["correct", "correct", "absent", "correct", "correct"]
    assert state["keyboard"] == {
        "e": "correct",
        "h": "correct",
        "o": "correct",
        "r": "absent",
        "s": "correct",
    }
    json.dumps(state)
    assert env.legal_actions() is None


def test_keyboard_never_downgrades_a_letter():
    env = WordleEnv()
    env.reset(0)
    env.answer = env.words.index("house")
    env.step("h o r s e")
    env.candidates = np.arange(len(env.words))  # let the next guess be scored against "house" too
    env.answer = env.words.index("house")
    assert env.step("e a r t h").observation == "y b b b y\n"  # e and h only "present" this time
    keyboard = env.render()["keyboard"]
    assert keyboard["h"] == "correct" and keyboard["e"] == "correct" and keyboard["a"] == "absent"


def test_the_solver_nearly_always_solves_within_six():
    env = WordleEnv()
    policy = solver_policy()
    returns = [rollout(env, policy, seed).ret for seed in range(300)]
    solved = sum(r > -6 for r in returns)
    assert solved >= 0.97 * len(returns)
    assert np.mean(returns) > -3.0


def test_the_behaviour_policy_is_weak_but_sometimes_consistent():
    env = WordleEnv()
    policy = behaviour_policy(random.Random(0))
    returns = [rollout(env, policy, seed).ret for seed in range(300)]
    assert -5.5 < np.mean(returns) < -3.5  # the paper's dataset average is -4.12 (400-word list)
    # Always a vocabulary word, spaced.
    env.reset(0)
    guess = policy(env, env.history)
    assert parse_guess(guess)[0] is not None and len(guess) == 9


def test_dataset_generation_writes_the_behaviour_trajectories(tmp_path):
    assert "wordle" in BEHAVIOURS
    summary = generate("wordle", 20, 0, tmp_path / "wordle.jsonl")
    lines = (tmp_path / "wordle.jsonl").read_text().splitlines()
    assert summary["n"] == 20 and len(lines) == 21
    assert json.loads(lines[0])["header"]["task"] == "wordle"
    first = json.loads(lines[1])
    assert first["turns"][0]["text"].endswith("\n") and -6 <= first["return"] <= 0


def test_make_env_and_normalisation():
    env = make_env("wordle")
    assert isinstance(env, WordleEnv) and env.max_steps == 6
    assert env.normalisation.score(-6) == 0 and env.normalisation.score(-1.94) == pytest.approx(100)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=8))
def test_arbitrary_strings_never_crash(actions):
    env = WordleEnv()
    env.reset(0)
    for action in actions:
        if env.done:
            break
        result = env.step(action)
        assert result.observation.endswith("\n")
        assert result.reward in (-1.0, 0.0)
        if not result.observation.startswith("invalid:"):
            assert all(m in (ABSENT, PRESENT, CORRECT) for m in marks_of(result.observation))
