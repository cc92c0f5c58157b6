"""LMOracle: the prompts state the secret and the dialogue, and a (tiny, untrained) causal LM can play
the counterpart in whole games of all three tasks: every reply is one line and never names the city."""

from __future__ import annotations

import re
import string

import pytest

from ml.rl.envs.base import EnvError, Turn
from ml.rl.envs.car_dealer import CarDealerEnv, scripted_seller
from ml.rl.envs.guess_city import OPEN_QUESTIONS, GuessCityEnv, load_kb
from ml.rl.envs.lm_oracle import EMPTY_REPLY, LMOracle, build_prompt, first_line
from ml.rl.envs.trajectories import rollout
from ml.rl.envs.twenty_questions import TwentyQuestionsEnv, solver_policy


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A randomly initialised GPT-2 with a printable-ASCII character tokenizer, saved like a real model."""
    from ml.lm.models import tiny_gpt2
    from ml.lm.tokenizers import char_tokenizer
    from ml.lm.train import save_checkpoint

    tok = char_tokenizer([string.printable])
    model = tiny_gpt2(len(tok), n_layer=1, n_embd=32, n_head=4, block_size=192)
    return save_checkpoint(model, tok, tmp_path_factory.mktemp("lm") / "tiny")


@pytest.fixture(scope="module")
def oracle(model_dir):
    return LMOracle(model_dir, max_new_tokens=8, temperature=1.0, seed=0)


def names_city(text: str, city: dict) -> bool:
    return any(
        re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.I) for n in [city["name"], *city["aliases"]]
    )


def test_prompts_state_the_secret_and_the_dialogue():
    city = load_kb().by_name["Seoul"]
    history = [
        Turn("I am thinking of a city.\n", False),
        Turn("Is it in Asia?\n", True),
        Turn("Yes.\n", False),
    ]
    prompt = build_prompt("guess_city", city, history, "What country is it in?")
    assert "The city is Seoul" in prompt and "never name the city" in prompt and "South Korea" in prompt
    assert prompt.endswith(
        "Question: Is it in Asia?\nAnswer: Yes.\nQuestion: What country is it in?\nAnswer:"
    )
    assert "I am thinking" not in prompt  # the opening is boilerplate
    prompt = build_prompt("twenty_questions", {"object": "dog", "category": "mammal"}, [], "Is it alive?")
    assert "The object is dog" in prompt and prompt.endswith("Question: Is it alive?\nAnswer:")
    buyer = {
        "personality": "stubborn",
        "brand": "Kia",
        "type": "SUV",
        "features": ["sunroof"],
        "budget": 30_000,
    }
    prompt = build_prompt("car_dealer", buyer, [Turn("Hello.\n", False)], "Hi! What do you need?")
    assert "Kia SUV" in prompt and "$30,000" in prompt and "Decision=Accept" in prompt
    assert prompt.endswith("Buyer: Hello.\nSeller: Hi! What do you need?\nBuyer:")
    with pytest.raises(EnvError):
        build_prompt("chess", {}, [], "e4")


def test_first_line():
    assert first_line("\n  Yes, it is.  \nAnd more") == "Yes, it is."
    assert first_line("   \n\t") == ""


def test_a_whole_city_game_with_an_lm_oracle_has_one_line_replies_that_never_name_the_city(oracle):
    kb = load_kb()
    questions = [q for texts in OPEN_QUESTIONS.values() for q in texts]
    for name, turns in (("Seoul", 20), ("São Paulo", 5)):  # a whole game, and a city with accents
        env = GuessCityEnv(oracle=oracle, city=name)
        env.reset(0)
        for question in questions[:turns]:
            result = env.step(question)
            assert result.observation.endswith("\n") and result.observation.count("\n") == 1
            assert result.observation.strip()
            assert not names_city(result.observation, kb.by_name[name])
        assert env.done == (turns == 20) and env.total_reward == -turns


def test_the_lm_reply_is_masked_even_when_the_model_says_the_name(monkeypatch, model_dir):
    import ml.lm.generate

    monkeypatch.setattr(ml.lm.generate, "sample", lambda *a, **k: [["It is SEOUL, of course.\nSecond line"]])
    city = load_kb().by_name["Seoul"]
    oracle = LMOracle(model_dir)
    assert oracle.reply("guess_city", city, [], "Where?") == "It is the city, of course."
    monkeypatch.setattr(ml.lm.generate, "sample", lambda *a, **k: [["\n\n"]])
    assert (
        oracle.reply("twenty_questions", {"object": "dog", "category": "mammal"}, [], "Alive?") == EMPTY_REPLY
    )


def test_twenty_questions_and_car_dealer_run_whole_games_with_an_lm_oracle(model_dir):
    from ml.lm.loading import load_model

    oracle = LMOracle(load_model(model_dir), max_new_tokens=8)  # the (model, tokenizer) form
    trajectory = rollout(TwentyQuestionsEnv(oracle=oracle, object_name="dog"), solver_policy, 0)
    assert trajectory.done
    replies = [t.text for t in trajectory.turns[1:] if not t.is_action]
    assert all(r.endswith("\n") and r.count("\n") == 1 for r in replies)
    trajectory = rollout(CarDealerEnv(oracle=oracle), scripted_seller, 0)
    assert trajectory.done and "Decision=" in trajectory.turns[-1].text  # the cap ends it with Reject
    assert len([t for t in trajectory.turns if t.is_action]) <= 10


def test_the_same_game_replays_to_the_same_replies(oracle):
    def play():
        env = GuessCityEnv(oracle=oracle, city="Lima")
        env.reset(0)
        return [env.step(q).observation for q in ("Where is it?", "What language?", "Name a landmark.")]

    assert play() == play()  # sampled, but seeded by the game's progress
