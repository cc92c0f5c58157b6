"""Guess My City: the knowledge base, the parser and answers, that the city is never named, the rules
and rewards, the policies, the measured normalisation, and that no input string crashes it."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.rl.envs import make_env
from ml.rl.envs.base import EnvError, GameOver, Normalisation
from ml.rl.envs.datasets import BEHAVIOURS, generate
from ml.rl.envs.guess_city import (
    CHATTER,
    MEASURED_NORMALISATION,
    NOT_UNDERSTOOD,
    OPEN_QUESTIONS,
    PAPER_NORMALISATION,
    GuessCityEnv,
    KnowledgeBaseOracle,
    Question,
    load_kb,
    mask_city,
    measure_normalisation,
    solver_policy,
)
from ml.rl.envs.trajectories import read_jsonl, rollout

FIELDS = {
    "name", "aliases", "country", "continents", "languages", "climate", "weather", "coastal", "sea", "water",
    "population_millions", "landmarks", "famous_for", "hemisphere", "capital",
}  # fmt: skip


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def names_the_city(text: str, city: dict) -> bool:
    """An independent check: any of the city's names as a whole word, ignoring case and accents."""
    folded = fold(text)
    return any(
        re.search(rf"(?<!\w){re.escape(fold(n))}(?!\w)", folded) for n in [city["name"], *city["aliases"]]
    )


def ask(city: str, question: str, history=()) -> str:
    kb = load_kb()
    return KnowledgeBaseOracle(kb).reply("guess_city", kb.by_name[city], list(history), question)


# --- the knowledge base


def test_the_kb_has_100_complete_cities_including_seoul(kb):
    assert len(kb.cities) == 100
    assert len({c["name"] for c in kb.cities}) == 100
    assert "Seoul" in kb.by_name
    for c in kb.cities:
        assert set(c) == FIELDS, c["name"]
        assert c["country"] and c["languages"] and c["climate"] and c["weather"] and c["famous_for"]
        assert 2 <= len(c["landmarks"]) <= 3
        assert c["coastal"] == (c["sea"] is not None)
        assert c["hemisphere"] in ("northern", "southern")
        assert isinstance(c["capital"], bool) and 0 < c["population_millions"] < 50
        assert set(c["continents"]) <= {
            "Asia",
            "Europe",
            "Africa",
            "North America",
            "South America",
            "Oceania",
        }


def test_spot_checked_facts(kb):
    seoul = kb.by_name["Seoul"]
    assert (seoul["country"], seoul["capital"], seoul["languages"]) == ("South Korea", True, ["Korean"])
    assert kb.by_name["Sydney"]["hemisphere"] == "southern" and not kb.by_name["Sydney"]["capital"]
    assert kb.by_name["Istanbul"]["continents"] == ["Europe", "Asia"]
    assert kb.by_name["Cairo"]["climate"] == "arid" and "Nile" in kb.by_name["Cairo"]["water"]
    assert kb.by_name["Tokyo"]["population_millions"] == max(c["population_millions"] for c in kb.cities)


# --- parsing and answers


@pytest.mark.parametrize(
    ("city", "question", "answer"),
    [
        ("Tokyo", "What country is it in?", "It is in Japan."),
        ("Tokyo", "Which continent is it on?", "It is in Asia."),
        ("Istanbul", "Where is it?", "It lies in both Europe and Asia."),
        ("Istanbul", "Is it in Asia?", "Yes."),
        ("Istanbul", "Is it in Europe?", "Yes."),
        ("Mumbai", "What language do people speak?", "People there mainly speak Marathi and Hindi."),
        ("Mumbai", "Do they speak Hindi there?", "Yes."),
        ("Mumbai", "Is it on the coast?", "Yes, it lies on the Arabian Sea."),
        ("Mumbai", "Is it inland?", "No, it lies on the Arabian Sea."),
        ("Delhi", "Is it on the coast?", "No, it is inland."),
        ("Delhi", "Is it a capital?", "Yes, it is its country's capital."),
        ("Mumbai", "Is it a capital city?", "No, it is not a national capital."),
        (
            "Cairo",
            "What is the climate like?",
            "It has an arid climate, with hot, dry summers and mild winters with almost no rain.",
        ),
        ("Cairo", "Is it on the Nile?", "Yes."),
        ("Cairo", "Is it a desert city?", "Yes."),
        ("Cairo", "How many people live there?", "About 20.9 million people live in and around it."),
        ("Cairo", "Does it have more than 10 million people?", "Yes."),
        ("Cairo", "Does it have fewer than 10 million people?", "No."),
        ("Lima", "Is it in the southern hemisphere?", "Yes."),
        ("Lima", "Which hemisphere?", "It is in the southern hemisphere."),
        ("Lima", "What food is it famous for?", "It is known for ceviche."),
        ("Lima", "Is it in South America?", "Yes."),
        ("Lima", "Is it in America?", "No."),  # "America" alone is the USA
        ("Chicago", "Is it in the USA?", "Yes."),
        ("Chicago", "Is it in North America?", "Yes."),
        ("Chicago", "Does it snow?", "Yes."),
        ("London", "Is it in England?", "Yes."),
        ("London", "Is it in South Africa?", "No."),
        ("Cape Town", "Is it in Africa?", "Yes."),
        ("Cape Town", "Is it in South Africa?", "Yes."),
        ("Hong Kong", "Is it in China?", "Yes."),
        ("Hong Kong", "Do people speak Chinese?", "Yes."),
        ("Paris", "Is it tropical?", "No."),
        ("Paris", "Is it on a river?", "Yes, it lies on the Seine River."),
        ("Riyadh", "Is it on a river?", "No, it is not on a major river."),
        ("Paris", "Name a famous landmark.", "A famous landmark there is Eiffel Tower."),
    ],
)
def test_hand_written_questions_get_informative_answers(city, question, answer):
    assert ask(city, question) == answer


def test_landmark_questions_rotate_through_the_landmarks(kb):
    env = GuessCityEnv(city="Paris")
    env.reset(0)
    replies = [env.step("Name a famous landmark.").observation for _ in range(4)]
    assert replies[0] != replies[1] != replies[2] and replies[3] == replies[0]
    assert all(landmark in "".join(replies) for landmark in kb.by_name["Paris"]["landmarks"])


@pytest.mark.parametrize(
    ("text", "city"),
    [
        ("Is it Tokyo?", "Tokyo"),
        ("tokyo", "Tokyo"),
        ("Tokyo, Japan?", "Tokyo"),
        ("Is it Tokyo in Japan?", "Tokyo"),
        ("My guess is Bombay.", "Mumbai"),
        ("Is it Sao Paulo?", "São Paulo"),
        ("Could it be Bogota?", "Bogotá"),
        ("Is the city Xian?", "Xi'an"),
        ("I think it's Washington DC", "Washington, D.C."),
        ("Is it St. Petersburg?", "Saint Petersburg"),
        ("Is it New York City?", "New York City"),
        ("NYC", "New York City"),
        ("Seoul!", "Seoul"),
    ],
)
def test_naming_one_city_is_a_guess(kb, text, city):
    assert kb.parse(text) == Question("guess", city)


@pytest.mark.parametrize(
    "text",
    ["Is it Paris or London?", "Is it near Tokyo?", "Tokyo Delhi Shanghai Cairo", "Is it Paris, Japan?"],
)
def test_several_cities_or_a_city_in_a_longer_question_is_not_a_guess(kb, text):
    question = kb.parse(text)
    assert question is None or question.kind != "guess"


@pytest.mark.parametrize("question", [*CHATTER, "", "blah", "What's your favourite colour?"])
def test_unknown_questions_get_a_polite_non_answer(question):
    assert ask("Tokyo", question) == NOT_UNDERSTOOD


# --- never naming the city


def all_question_templates(kb) -> list[str]:
    templates = [text for texts in OPEN_QUESTIONS.values() for text in texts]
    for c in kb.cities[:20]:
        templates += [
            f"Is it in {c['country']}?",
            f"Is it in {c['continents'][0]}?",
            f"Do people speak {c['languages'][0]}?",
        ]
    templates += [
        "Is it tropical?", "Does it have a mediterranean climate?", "Does it snow?", "Is it inland?",
        "Is it on a river?", "Is it on a lake?", "Is it on the Pacific?", "Is it in the southern hemisphere?",
        "Does it have more than 10 million people?", "Is it a megacity?", "Is it in the mountains?",
        "What is it like?", "Hello?", "Is it Paris?",
    ]  # fmt: skip
    return templates


def test_no_answer_ever_names_the_city(kb):
    templates = all_question_templates(kb)
    oracle = KnowledgeBaseOracle(kb)
    checked = 0
    for city in kb.cities:
        for question in templates:
            reply = oracle.reply("guess_city", city, [], question)
            assert not names_the_city(reply, city), (city["name"], question, reply)
            checked += 1
        # landmarks and hints rotate: ask each repeatedly within one game so every one is seen
        env = GuessCityEnv(city=city["name"])
        env.reset(0)
        for question in ["Name a famous landmark."] * 3 + ["Give me a hint."] * 5 + ["What river is it on?"]:
            reply = env.step(question).observation
            assert not names_the_city(reply, city), (city["name"], question, reply)
    assert checked == 100 * len(templates)


def test_landmarks_that_carry_the_name_are_described(kb):
    assert (
        ask("Tokyo", "Name a famous landmark.")
        == "A famous landmark there is the tower that shares the city's name."
    )
    sydney = kb.by_name["Sydney"]
    assert kb.describe("Sydney Opera House", sydney) == "the opera house that shares the city's name"
    assert (
        kb.describe("Library of Alexandria", kb.by_name["Alexandria"])
        == "the library that shares the city's name"
    )
    assert kb.describe("Bondi Beach", sydney) == "Bondi Beach"


def test_mask_city_catches_accents_aliases_and_spacing(kb):
    assert (
        mask_city("I love Sao Paulo and SÃO PAULO", kb.by_name["São Paulo"]) == "I love the city and the city"
    )
    assert mask_city("Welcome to xi an, or Xian", kb.by_name["Xi'an"]) == "Welcome to the city, or the city"
    assert mask_city("Bombay is big", kb.by_name["Mumbai"]) == "the city is big"
    assert mask_city("The climate is mild", kb.by_name["Lima"]) == "The climate is mild"  # not inside words


def test_a_leaky_oracle_is_masked_by_the_env():
    class Leaky:
        def reply(self, task, secret, history, utterance):
            return f"It is {secret['name']}, of course!"

    env = GuessCityEnv(oracle=Leaky(), city="Seoul")
    env.reset(0)
    assert env.step("Where is it?").observation == "It is the city, of course!\n"


# --- rules and rewards


def test_turns_cost_one_and_a_correct_guess_ends_the_game_for_free():
    env = GuessCityEnv(city="Seoul")
    env.reset(0)
    obs, reward, done, _ = env.step("What country is it in?")
    assert (obs, reward, done) == ("It is in South Korea.\n", -1.0, False)
    obs, reward, done, _ = env.step("Is it Busan?")
    assert (obs, reward, done) == ("No, it is not that city.\n", -1.0, False)
    obs, reward, done, info = env.step("Is it Seoul?")
    assert (obs, reward, done, info["solved"]) == ("Yes, you guessed it!\n", 0.0, True, True)
    assert env.total_reward == -2.0 and env.render()["city"] == "Seoul"
    with pytest.raises(GameOver):
        env.step("Is it Seoul?")


def test_the_game_stops_after_twenty_turns():
    env = GuessCityEnv(city="Lima")
    env.reset(0)
    results = [env.step("Is it Paris?") for _ in range(20)]
    assert [r.done for r in results] == [False] * 19 + [True]
    assert results[-1].info["truncated"] and env.total_reward == -20.0


def test_make_env_and_seeds():
    env = make_env("guess_city")
    env.reset(3)
    first = env.secret["name"]
    env.reset(3)
    assert env.secret["name"] == first
    assert len({(env.reset(s), env.secret["name"])[1] for s in range(40)}) > 15
    with pytest.raises(EnvError):
        make_env("guess_city", city="Atlantis")


# --- policies and normalisation


def test_the_solver_finds_every_city(kb):
    for city in kb.cities:
        trajectory = rollout(GuessCityEnv(city=city["name"]), solver_policy, 0)
        assert trajectory.done and not trajectory.truncated and trajectory.ret >= -4, city["name"]


def test_the_normalisation_constants_are_the_measured_ones():
    assert measure_normalisation(1000, 0) == MEASURED_NORMALISATION
    assert GuessCityEnv.normalisation == MEASURED_NORMALISATION
    assert (
        PAPER_NORMALISATION == Normalisation(-20, -18.8, -8.56, "paper") == GuessCityEnv.paper_normalisation
    )


def test_dataset_generation_round_trips(tmp_path):
    summary = generate("guess_city", 40, 1, tmp_path / "city.jsonl")
    head, trajectories = read_jsonl(tmp_path / "city.jsonl")
    trajectories = list(trajectories)
    assert head["task"] == "guess_city" and "narrowing" in head["generator"] and head["seed"] == 1
    assert len(trajectories) == summary["n"] == 40
    for t in trajectories:
        assert t.task == "guess_city" and all(turn.text.endswith("\n") for turn in t.turns)
        assert len([turn for turn in t.turns if turn.is_action]) <= 20
    assert any(not t.truncated for t in trajectories) and summary["mean_return"] > -20


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=25), st.integers(0, 2**16))
def test_arbitrary_strings_never_crash_it(actions, seed):
    env = GuessCityEnv()
    env.reset(seed)
    for action in actions:
        if env.done:
            break
        obs, reward, _, _ = env.step(action)
        assert obs.endswith("\n") and obs.count("\n") == 1 and reward in (0.0, -1.0)
        assert not names_the_city(obs, env.secret)


def test_behaviour_policy_is_registered_and_plays():
    policy = BEHAVIOURS["guess_city"].make_policy(random.Random(0))
    returns = [rollout(GuessCityEnv(), policy, s).ret for s in range(20)]
    assert min(returns) >= -20 and max(returns) > -20
