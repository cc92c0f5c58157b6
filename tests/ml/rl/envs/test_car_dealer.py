"""Car Dealer: the catalogue, reading prices and cars from text, the buyer's decisions by personality,
the reward formula on hand-computed games, the turn cap, other oracles as the buyer, the policies, the
measured normalisation, and that no input string crashes it."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.rl.envs import make_env
from ml.rl.envs.base import EnvError, GameOver
from ml.rl.envs.car_dealer import (
    ACCEPT,
    BUDGETS,
    MEASURED_NORMALISATION,
    PERSONALITIES,
    REJECT,
    Buyer,
    CarDealerEnv,
    ScriptedBuyerOracle,
    draw_profile,
    load_catalogue,
    measure_normalisation,
    parse_prices,
    read,
    scripted_seller,
    worst_expected_return,
)
from ml.rl.envs.datasets import BEHAVIOURS, generate
from ml.rl.envs.trajectories import read_jsonl, rollout


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def profile(
    personality="agreeable",
    budget=30_000,
    target="Toyota RAV4",
    features=("all-wheel drive", "backup camera"),
):
    car = load_catalogue().by_model[target]
    return {
        "personality": personality,
        "brand": car["brand"],
        "type": car["type"],
        "features": list(features),
        "budget": budget,
        "target_model": target,
    }


def play(buyer_profile, *utterances, oracle=None):
    env = CarDealerEnv(profile=buyer_profile, oracle=oracle)
    env.reset(0)
    return env, [env.step(u) for u in utterances]


# --- catalogue and reading text


def test_the_catalogue_is_complete(catalogue):
    assert len(catalogue.cars) >= 30
    assert {c["type"] for c in catalogue.cars} >= {"sedan", "SUV", "truck", "hatchback", "minivan", "coupe"}
    for car in catalogue.cars:
        assert car["msrp"] > 10_000 and car["features"], car["name"]
        assert set(car["features"]) <= set(catalogue.features), car["name"]
    assert len({c["name"] for c in catalogue.cars}) == len(catalogue.cars)


@pytest.mark.parametrize(
    ("text", "prices"),
    [
        ("I can do $25,000.", [25_000]),
        ("How about 25k?", [25_000]),
        ("$27.5k is my best price", [27_500]),
        ("25 thousand and not a cent more", [25_000]),
        ("It's yours for 31000 dollars", [31_000]),
        ("I'll sell it for 28000", [28_000]),
        ("The 2024 F-150 for $38,000", [38_000]),  # model year and model number are not prices
        ("MSRP is $30,000 but for you $28,500", [30_000, 28_500]),
        ("Would you like a coffee?", []),
    ],
)
def test_prices_are_read_from_text(text, prices):
    assert parse_prices(text) == prices


def test_cars_brands_types_features_and_questions_are_read_from_text(catalogue):
    m = read(
        catalogue,
        "How about the Toyota RAV4? Or a CR-V, an SUV with AWD and a backup camera. What's your budget?",
    )
    assert m.cars == ("Toyota RAV4", "Honda CR-V")
    assert m.types == ("SUV",) and set(m.features) == {"all-wheel drive", "backup camera"}
    assert "budget" in m.asks and not m.agrees
    assert read(catalogue, "Is it a good fit for you?").cars == ()  # "fit" only with the brand
    assert read(catalogue, "The Honda Fit is cheap").cars == ("Honda Fit",)
    assert read(catalogue, "the f150 or the Model 3").cars == ("Ford F-150", "Tesla Model 3")
    assert read(catalogue, "Deal!").agrees


# --- the buyer's decisions


def test_an_offer_within_what_the_buyer_pays_is_accepted_and_rewarded_as_in_the_paper():
    # agreeable, budget $30k, RAV4 MSRP $30k: pays up to min(30k × 1.15, 30k) = $30,000
    env, [result] = play(profile(), "I can offer you the Toyota RAV4 for $29,000.")
    assert ACCEPT in result.observation and "$29,000" in result.observation
    assert result.done and result.info["sold"] and result.info["price"] == 29_000
    assert result.reward == pytest.approx(29_000 / ((30_000 + 30_000) / 2))


def test_a_high_offer_gets_a_counter_offer_and_agreeing_sells_at_it():
    env, results = play(profile(), "The Toyota RAV4 is $33,000.", "Deal!")
    assert "Would you take $28,500?" in results[0].observation  # 30,000 × 0.95
    assert results[0].reward == 0.0 and not results[0].done
    assert ACCEPT in results[1].observation and results[1].info["price"] == 28_500
    assert results[1].reward == pytest.approx(28_500 / 30_000)


def test_a_car_of_the_wrong_type_is_turned_down_with_the_reason():
    env, [result] = play(profile(), "How about a Toyota Camry for $20,000?")
    assert "isn't what I want" in result.observation and "I need an SUV" in result.observation
    assert not result.done


def test_a_stubborn_buyer_wants_its_brand_and_walks_after_two_counters():
    stubborn = profile("stubborn", budget=50_000)
    _, [result] = play(stubborn, "The Honda CR-V has AWD and a backup camera, $25,000.")
    assert "I only buy Toyota" in result.observation and not result.done
    # pays up to min(50k × 1.0, 30k × 0.95) = $28,500; counters at 85% then 92.5% of it
    env, results = play(
        stubborn, "Toyota RAV4 for $35,000", "Toyota RAV4 for $34,000", "Toyota RAV4 for $33,000"
    )
    assert "$24,200" in results[0].observation and "$26,300" in results[1].observation
    assert REJECT in results[2].observation and results[2].done and not results[2].info["sold"]
    assert results[2].reward == pytest.approx(-abs(50_000 - 30_000) / 30_000)


def test_a_price_sensitive_buyer_pays_less_and_understates_its_budget():
    buyer = profile("price-sensitive")  # pays up to min(30k × 0.9, 30k × 0.9) = $27,000
    _, [answer] = play(buyer, "What is your budget?")
    assert "$24,000" in answer.observation  # 80% of $30k
    _, [result] = play(buyer, "Toyota RAV4, $27,000")
    assert ACCEPT in result.observation and result.reward == pytest.approx(27_000 / 30_000)
    _, [result] = play(buyer, "Toyota RAV4, $27,100")
    assert "Would you take $20,200?" in result.observation  # 27,000 × 0.75, to the $100


def test_a_picky_buyer_needs_every_feature():
    picky = profile("picky", target="Toyota Highlander", features=("third-row seating", "heated seats"))
    _, [result] = play(picky, "The Toyota RAV4 for $20,000")  # an SUV, but no third row or heated seats
    assert "it doesn't have third-row seating and heated seats" in result.observation
    _, [result] = play(picky, "The Toyota Highlander for $30,000")
    assert ACCEPT in result.observation


def test_a_low_budget_buyer_buys_far_below_msrp():
    # budget $10k: pays up to min(10k × 1.15, 30k) = $11,500
    _, [result] = play(profile(budget=10_000), "Toyota RAV4 for $11,500")
    assert ACCEPT in result.observation
    assert result.reward == pytest.approx(11_500 / ((10_000 + 30_000) / 2))


def test_an_impatient_buyer_leaves_after_five_turns():
    env, results = play(profile("impatient"), *["Nice weather today."] * 5)
    assert [r.done for r in results] == [False] * 4 + [True]
    assert REJECT in results[-1].observation
    # nothing was discussed: the MSRP is that of the car the profile was drawn from
    assert results[-1].info["car"] == "Toyota RAV4" and results[-1].reward == 0.0


def test_the_buyer_answers_questions_from_its_profile():
    _, [result] = play(
        profile(), "What brand do you like, what kind of car, which features, and your budget?"
    )
    text = result.observation
    assert all(s in text for s in ("Toyota", "SUV", "all-wheel drive", "backup camera", "$30,000"))


def test_the_no_sale_reward_uses_the_car_being_discussed():
    env, results = play(profile("impatient", budget=90_000), "Look at this Honda Fit!", *["Hmm."] * 4)
    # Honda Fit MSRP $18,000: -(90,000 - 18,000) / 18,000
    assert results[-1].done and results[-1].info["car"] == "Honda Fit"
    assert results[-1].reward == pytest.approx(-4.0)


# --- the cap and other buyers


class SilentBuyer:
    def reply(self, task, secret, history, utterance):
        return "Hmm, let me think."


def test_ten_seller_turns_end_the_game_with_reject():
    env = CarDealerEnv(oracle=SilentBuyer(), profile=profile(budget=50_000))
    env.reset(0)
    results = [env.step("Toyota RAV4 for $40,000") for _ in range(10)]
    assert [r.done for r in results] == [False] * 9 + [True]
    assert results[-1].observation.endswith(f"{REJECT}\n") and results[-1].info["truncated"]
    assert results[-1].reward == pytest.approx(-20_000 / 30_000)
    assert sum(r.reward for r in results) == results[-1].reward
    with pytest.raises(GameOver):
        env.step("Please?")


def test_any_oracle_can_play_the_buyer():
    class EasyBuyer:
        def reply(self, task, secret, history, utterance):
            assert task == "car_dealer" and secret["budget"] in BUDGETS
            return "Sure, I'll take it. Decision=Accept" if "$" in utterance else "Tell me more."

    env = CarDealerEnv(oracle=EasyBuyer(), profile=profile(budget=50_000, target="Toyota Highlander"))
    env.reset(0)
    assert env.step("Hello!").observation == "Tell me more.\n"
    result = env.step("The Honda Odyssey is $38,000.")
    # the price is the last one named; the car the Odyssey ($40,000 MSRP)
    assert result.done and result.info == {
        "price": 38_000,
        "sold": True,
        "car": "Honda Odyssey",
        "msrp": 40_000,
        "budget": 50_000,
    }
    assert result.reward == pytest.approx(38_000 / 45_000)


def test_the_scripted_oracle_replays_to_the_same_replies(catalogue):
    env = CarDealerEnv()
    trajectory = rollout(env, scripted_seller, 11)
    history = [t for t in env.history]
    for i in range(1, len(history), 2):  # every seller turn, asked afresh with the history before it
        fresh = ScriptedBuyerOracle(catalogue).reply(
            "car_dealer", env.secret, history[:i], history[i].text.strip()
        )
        if i + 1 < len(history) - 1:
            assert fresh == history[i + 1].text.strip()
    assert trajectory.done


def test_profiles_are_drawn_by_seed_and_always_have_a_matching_car(catalogue):
    rng = random.Random(0)
    for _ in range(200):
        p = draw_profile(catalogue, rng)
        assert p["budget"] in BUDGETS and p["personality"] in PERSONALITIES
        assert not Buyer(catalogue, p).matches(catalogue.by_model[p["target_model"]])
    env = make_env("car_dealer")
    env.reset(4)
    first = dict(env.secret)
    env.reset(4)
    assert env.secret == first and env.agent_role == "seller"
    with pytest.raises(EnvError):
        make_env("car_dealer", profile={"personality": "grumpy"})


# --- policies and normalisation


def test_the_scripted_seller_sells_to_most_buyers():
    env = CarDealerEnv()
    sold = [rollout(env, scripted_seller, s).ret > 0 for s in range(100)]
    assert sum(sold) >= 85


def test_the_normalisation_constants_are_the_measured_ones(catalogue):
    assert measure_normalisation(1000, 0) == MEASURED_NORMALISATION
    assert CarDealerEnv.normalisation == MEASURED_NORMALISATION
    # budget $90k against the cheapest car ($18k) is the worst case: -(90 - 18) / 18 = -4
    assert max(abs(90_000 - c["msrp"]) / c["msrp"] for c in catalogue.cars) == pytest.approx(4.0)
    assert worst_expected_return(catalogue) == pytest.approx(MEASURED_NORMALISATION.min, abs=1e-4)


def test_dataset_generation_round_trips(tmp_path):
    summary = generate("car_dealer", 40, 0, tmp_path / "cars.jsonl")
    head, trajectories = read_jsonl(tmp_path / "cars.jsonl")
    trajectories = list(trajectories)
    assert head["task"] == "car_dealer" and "scripted competent seller" in head["generator"]
    assert len(trajectories) == summary["n"] == 40
    for t in trajectories:
        actions = [turn for turn in t.turns if turn.is_action]
        assert 1 <= len(actions) <= 10 and all(a.reward == 0 for a in actions[:-1])
        assert "Decision=" in t.turns[-1].text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=12), st.integers(0, 2**16))
def test_arbitrary_strings_never_crash_it(actions, seed):
    env = CarDealerEnv()
    env.reset(seed)
    for action in actions:
        if env.done:
            break
        obs, reward, done, info = env.step(action)
        assert obs.endswith("\n") and obs.count("\n") == 1
        assert done == (ACCEPT in obs or REJECT in obs)
        assert reward == 0.0 or done


def test_behaviour_policy_is_registered():
    policy = BEHAVIOURS["car_dealer"].make_policy(random.Random(0))
    returns = [rollout(CarDealerEnv(), policy, s).ret for s in range(30)]
    assert min(returns) < 0 < max(returns)
