"""Twenty Questions: the knowledge base, the question parser, the rules and rewards, the solver and
behaviour policies, the measured normalisation, and that no input string crashes it."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.rl.envs import make_env
from ml.rl.envs.base import EnvError, GameOver, Normalisation, Turn
from ml.rl.envs.data.make_twenty_questions import build
from ml.rl.envs.datasets import BEHAVIOURS, generate
from ml.rl.envs.trajectories import read_jsonl, rollout
from ml.rl.envs.twenty_questions import (
    CHATTER,
    KB_PATH,
    MEASURED_NORMALISATION,
    PAPER_NORMALISATION,
    PHRASINGS,
    KnowledgeBaseOracle,
    Question,
    TwentyQuestionsEnv,
    best_question,
    candidates,
    load_kb,
    measure_normalisation,
    solver_policy,
)


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def ask(name: str, question: str) -> str:
    return KnowledgeBaseOracle().reply("twenty_questions", {"object": name}, [], question)


# --- the knowledge base


def test_the_kb_is_big_enough_and_every_attribute_is_defined_for_every_object(kb):
    assert len(kb.objects) >= 150
    assert len(kb.categories) >= 15
    assert len(kb.attributes) >= 30
    for obj in kb.objects:
        assert list(obj["attributes"]) == kb.attributes, obj["name"]
        assert all(isinstance(v, bool) for v in obj["attributes"].values()), obj["name"]
        assert obj["category"] in kb.categories
    sizes = Counter(o["category"] for o in kb.objects)
    assert min(sizes.values()) >= 4


def test_the_shipped_json_is_what_the_generator_builds():
    assert json.loads(KB_PATH.read_text()) == build()


def test_no_two_objects_are_indistinguishable(kb):
    signatures = {(o["category"], tuple(o["attributes"].values())) for o in kb.objects}
    assert len(signatures) == len(kb.objects)


@pytest.mark.parametrize(
    ("name", "attribute", "value"),
    [
        ("dog", "is_pet", True),
        ("whale", "is_mammal", True),
        ("whale", "lives_in_water", True),
        ("penguin", "can_fly", False),
        ("penguin", "has_wings", True),
        ("banana", "grows_on_trees", True),
        ("apple", "is_alive", False),  # picked fruit is not a living organism (see the attribute's meaning)
        ("hammer", "made_of_metal", True),
        ("car", "has_wheels", True),
        ("boat", "has_wheels", False),
        ("refrigerator", "found_in_kitchen", True),
        ("smartphone", "fits_in_a_pocket", True),
        ("elephant", "bigger_than_a_breadbox", True),
        ("mouse", "bigger_than_a_breadbox", False),
        ("ant", "has_legs", True),
        ("egg", "is_man_made", False),
        ("guitar", "has_strings", True),
    ],
)
def test_spot_checked_facts(kb, name, attribute, value):
    assert kb.by_name[name]["attributes"][attribute] is value


# --- the parser


def test_every_policy_phrasing_asks_its_attribute(kb):
    for attribute, phrasings in PHRASINGS.items():
        truth = kb.mask(Question("attribute", attribute))
        for text in phrasings:
            question = kb.parse(text)
            assert question is not None, text
            assert kb.mask(question) == truth, (text, question)  # "Is it a bird?" may parse as the category
    assert set(PHRASINGS) == set(kb.attributes)


def test_every_object_can_be_guessed_by_name_synonym_and_plural(kb):
    for obj in kb.objects:
        for phrase in [obj["name"], *obj["synonyms"]]:
            for text in (
                f"Is it a {phrase}?",
                f"{phrase}?",
                f"My guess is {phrase}.",
                kb.guess_text(obj["name"]),
            ):
                assert kb.parse(text) == Question("guess", obj["name"]), text
    assert kb.parse("Is it dogs?") == Question("guess", "dog")
    assert kb.parse("cherries") == Question("guess", "cherry")
    assert kb.parse("Are you thinking of knives?") == Question("guess", "knife")


@pytest.mark.parametrize(
    ("name", "question", "answer"),
    [
        ("dog", "Is it an animal?", "Yes."),
        ("dog", "Is it a mammal?", "Yes."),
        ("dog", "Does it have four legs?", "Yes."),
        ("dog", "Can it fly?", "No."),
        ("dog", "Is it a pet?", "Yes."),
        ("dog", "Is it a dog?", "Yes."),
        ("dog", "Is it a cat?", "No."),
        ("dog", "Is it NOT alive?", "Yes."),  # negation-insensitive: answered as "Is it alive?"
        ("dog", "Is it small?", "No."),  # an antonym is inverted: a dog is bigger than a breadbox
        ("apple", "Is it a kind of fruit?", "Yes."),
        ("apple", "Is it a fruit?", "Yes."),
        ("apple", "Is it a vegetable?", "No."),
        ("apple", "Can you eat it?", "Yes."),
        ("apple", "Does it grow on trees?", "Yes."),
        ("apple", "Is it red?", "Yes."),
        ("apple", "Is it man-made?", "No."),
        ("apple", "Is it natural?", "Yes."),
        ("hammer", "Is it a tool?", "Yes."),
        ("hammer", "Is it made of metal?", "Yes."),
        ("hammer", "Is it alive?", "No."),
        ("hammer", "Does it use electricity?", "No."),
        ("hammer", "Is it bigger than a breadbox?", "No."),
        ("airplane", "Can it fly?", "Yes."),
        ("airplane", "Does it have wings?", "Yes."),
        ("airplane", "Is it a vehicle?", "Yes."),
        ("airplane", "Is it bigger than a person?", "Yes."),
        ("airplane", "Is it smaller than a person?", "No."),
        ("airplane", "Is it a plane?", "Yes."),
        ("smartphone", "Does it have a screen?", "Yes."),
        ("smartphone", "Would it fit in your pocket?", "Yes."),
        ("smartphone", "Is it an electronic device?", "Yes."),
        ("smartphone", "Is it a cell phone?", "Yes."),
        ("coffee", "Is it a drink?", "Yes."),
        ("coffee", "Is it hot?", "Yes."),
        ("coffee", "Is it bitter?", "Yes."),
        ("coffee", "Is it alcoholic?", "No."),
        ("shark", "Is it dangerous?", "Yes."),
        ("shark", "Does it live in the ocean?", "Yes."),
        ("shark", "Is it a fish?", "Yes."),
        ("shark", "Is it a sea creature?", "Yes."),
        ("piano", "Is it a musical instrument?", "Yes."),
        ("piano", "Does it have strings?", "Yes."),
    ],
)
def test_hand_written_questions_get_the_right_answer(name, question, answer):
    assert ask(name, question) == answer


@pytest.mark.parametrize(
    "question",
    [
        *CHATTER,
        "",
        "???",
        "Is it bigger than a car?",
        "Is it an apple or a banana?",
        "asdf qwerty",
        "Tell me!",
    ],
)
def test_unparseable_questions_are_answered_no(kb, question):
    assert kb.parse(question) is None
    for name in ("dog", "apple", "hammer"):
        assert ask(name, question) == "No."


def test_listing_many_objects_in_one_question_is_not_a_guess(kb):
    assert kb.parse("Is it a dog, a cat, or a horse?") is None


# --- rules and rewards


def test_each_question_costs_one_and_the_naming_question_is_free_and_ends_the_game():
    env = TwentyQuestionsEnv(object_name="dog")
    history = env.reset(0)
    assert len(history) == 1 and not history[0].is_action
    obs, reward, done, info = env.step("Is it alive?")
    assert (obs, reward, done) == ("Yes.\n", -1.0, False)
    obs, reward, done, info = env.step("Is it a cat?")
    assert (obs, reward, done) == ("No.\n", -1.0, False)
    obs, reward, done, info = env.step("Is it a dog?")
    assert (obs, reward, done, info["solved"]) == ("Yes.\n", 0.0, True, True)
    assert env.total_reward == -2.0
    assert env.render()["object"] == "dog"
    with pytest.raises(GameOver):
        env.step("Is it a dog?")


def test_the_game_stops_after_twenty_questions():
    env = TwentyQuestionsEnv(object_name="dog")
    env.reset(1)
    for i in range(20):
        result = env.step("Is it a cat?")
        assert result.reward == -1.0
        assert result.done == (i == 19)
    assert result.info["truncated"] and env.total_reward == -20.0
    with pytest.raises(GameOver):
        env.step("Is it a dog?")


def test_the_env_picks_objects_by_seed_and_registers_with_make_env():
    env = make_env("twenty_questions")
    env.reset(5)
    first = env.secret["object"]
    env.reset(5)
    assert env.secret["object"] == first
    seen = set()
    for seed in range(30):
        env.reset(seed)
        seen.add(env.secret["object"])
    assert len(seen) > 10
    with pytest.raises(EnvError):
        make_env("twenty_questions", object_name="unicorn")


def test_any_oracle_can_answer_and_the_env_still_decides_the_guess():
    class AlwaysMaybe:
        def reply(self, task, secret, history, utterance):
            assert task == "twenty_questions" and secret["object"] == "cat"
            assert all(isinstance(t, Turn) for t in history) and utterance.endswith("?")
            return "Maybe."

    env = TwentyQuestionsEnv(oracle=AlwaysMaybe(), object_name="cat")
    env.reset(0)
    assert env.step("Is it alive?").observation == "Maybe.\n"
    result = env.step("Is it a kitten?")
    assert result.done and result.reward == 0.0


# --- policies and normalisation


def test_the_solver_finds_every_object_within_the_cap(kb):
    worst = 0.0
    for obj in kb.objects:
        trajectory = rollout(TwentyQuestionsEnv(object_name=obj["name"]), solver_policy, 0)
        assert trajectory.done and not trajectory.truncated, obj["name"]
        worst = min(worst, trajectory.ret)
    assert worst > -15


def test_candidates_follow_the_answers(kb):
    env = TwentyQuestionsEnv(object_name="penguin")
    history = env.reset(0)
    for question in ("Is it a bird?", "Can it fly?", "Can it swim?"):
        env.step(question)
    alive = [kb.objects[i]["name"] for i in range(len(kb.objects)) if candidates(kb, env.history) >> i & 1]
    assert alive == ["penguin"]
    assert best_question(kb, candidates(kb, env.history)) == "Is it a penguin?"
    assert candidates(kb, history) == (1 << len(kb.objects)) - 1


def test_the_normalisation_constants_are_the_measured_ones():
    assert measure_normalisation(1000, 0) == MEASURED_NORMALISATION
    assert TwentyQuestionsEnv.normalisation == MEASURED_NORMALISATION
    assert (
        TwentyQuestionsEnv.paper_normalisation
        == PAPER_NORMALISATION
        == Normalisation(-20, -17.3, -12.6, "paper")
    )
    assert MEASURED_NORMALISATION.score(MEASURED_NORMALISATION.max) == 100.0


def test_dataset_generation_round_trips(tmp_path):
    assert "twenty_questions" in BEHAVIOURS
    summary = generate("twenty_questions", 40, 0, tmp_path / "tq.jsonl")
    head, trajectories = read_jsonl(tmp_path / "tq.jsonl")
    trajectories = list(trajectories)
    assert head["task"] == "twenty_questions" and "information-gain" in head["generator"]
    assert len(trajectories) == summary["n"] == 40
    assert summary["mean_return"] == pytest.approx(sum(t.ret for t in trajectories) / 40, abs=1e-3)
    for t in trajectories:
        assert t.task == "twenty_questions" and t.turns[0].is_action is False
        assert all(turn.text.endswith("\n") for turn in t.turns)
        assert t.ret == sum(-1 for turn in t.turns if turn.is_action) + (1 if not t.truncated else 0)
        assert len([turn for turn in t.turns if turn.is_action]) <= 20


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=25), st.integers(0, 2**16))
def test_arbitrary_strings_never_crash_it(actions, seed):
    env = TwentyQuestionsEnv()
    env.reset(seed)
    for action in actions:
        if env.done:
            break
        obs, reward, done, _ = env.step(action)
        assert obs in ("Yes.\n", "No.\n") and reward in (0.0, -1.0)


def test_random_questions_from_the_behaviour_policy_are_mostly_parseable(kb):
    policy = BEHAVIOURS["twenty_questions"].make_policy(random.Random(0))
    env = TwentyQuestionsEnv()
    asked = [t.text for s in range(30) for t in rollout(env, policy, s).turns if t.is_action]
    parsed = sum(kb.parse(q) is not None for q in asked)
    assert parsed / len(asked) > 0.9
