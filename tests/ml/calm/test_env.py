"""Flight booking (ml.calm): the correct-action rules, the rule-based customer, the customer's words read
back by the scripted agent, the scripted agents' success rates, and the env's game rules."""

import dataclasses
import json
import random

import pytest

from ml.calm import language
from ml.calm.env import (
    ACCEPT_RE,
    MAX_AGENT_TURNS,
    QUESTIONS,
    SLOT_KEYS,
    Customer,
    FlightBookingEnv,
    behaviour_policy,
    goal_card,
    solver_policy,
)
from ml.calm.world import (
    ANY,
    Action,
    Context,
    Flight,
    Goal,
    correct_action,
    is_success,
    meets,
    parse_action,
    parts_right,
    sample_context,
    sample_goal,
)
from ml.rl.envs import GameOver, make_env
from ml.rl.envs.scripted_oracle import NeedsReply, ScriptedOracle

# ----- hand-built tables

GOAL = Goal(
    intent="book",
    name="Ava Adams",
    origin="JFK",
    destination="LAX",
    depart_month="Mar",
    depart_day=10,
    return_month="Mar",
    return_day=17,
    depart_time="morning",
    return_time="evening",
    cls="economy",
    airline="Delta",
    max_price=500,
    max_connections=1,
)


def flight(flight_id: int, **changes) -> Flight:
    """A flight meeting every constraint of GOAL, but for `changes`."""
    fits = Flight(
        id=flight_id,
        origin="JFK",
        destination="LAX",
        depart_month="Mar",
        depart_day=10,
        return_month="Mar",
        return_day=17,
        depart_time="morning",
        return_time="evening",
        cls="economy",
        airline="Delta",
        price=400,
        connections=1,
    )
    return dataclasses.replace(fits, **changes)


def context(flights, goal=GOAL, reservation=None) -> Context:
    return Context(goal, list(flights), reservation)


# One way to break each of the 12 constraints.
VIOLATIONS = {
    "origin": "BOS",
    "destination": "SFO",
    "depart_month": "Apr",
    "depart_day": 11,
    "return_month": "Apr",
    "return_day": 18,
    "depart_time": "afternoon",
    "return_time": "morning",
    "cls": "business",
    "airline": "United",
    "price": 550,
    "connections": 2,
}


def test_the_cheapest_of_several_matching_flights_is_booked():
    table = [
        flight(1000, price=450),
        flight(1001, price=150, airline="United"),  # cheaper, but not the customer's airline
        flight(1002, price=300),
        flight(1003, price=350),
    ]
    assert correct_action(context(table)) == Action("book", "Ava Adams", 1002)


@pytest.mark.parametrize("field, bad", VIOLATIONS.items())
def test_a_flight_failing_one_constraint_is_excluded(field, bad):
    price = bad if field == "price" else 100  # the violator is the cheapest flight
    violator = flight(1000, **{field: bad, "price": price})
    assert not meets(violator, GOAL)
    assert correct_action(context([violator, flight(1001, price=450)])) == Action("book", "Ava Adams", 1001)
    assert correct_action(context([violator])) == Action("no_flight", "Ava Adams")


def test_any_and_no_limit_accept_every_value():
    relaxed = dataclasses.replace(
        GOAL, depart_time=ANY, return_time=ANY, cls=ANY, airline=ANY, max_price=None, max_connections=2
    )
    odd = flight(1000, depart_time="evening", return_time="afternoon", cls="business", airline="Alaska")
    odd = dataclasses.replace(odd, price=2000, connections=2)
    assert meets(odd, relaxed) and not meets(odd, GOAL)
    # The price cap is inclusive.
    assert meets(flight(1000, price=500), GOAL)


def test_no_flight_when_nothing_matches():
    assert correct_action(context([])) == Action("no_flight", "Ava Adams")


@pytest.mark.parametrize("intent", ["change", "cancel"])
def test_a_change_or_cancel_without_a_reservation_is_no_reservation(intent):
    goal = dataclasses.replace(GOAL, intent=intent)
    assert correct_action(context([flight(1000)], goal)) == Action("no_reservation", "Ava Adams")


def test_a_cancel_with_a_reservation_cancels_it():
    goal = dataclasses.replace(GOAL, intent="cancel")
    assert correct_action(context([flight(1000)], goal, reservation=1000)) == Action("cancel", "Ava Adams")


def test_a_change_with_a_reservation_moves_to_the_cheapest_match():
    goal = dataclasses.replace(GOAL, intent="change")
    table = [flight(1000, price=450), flight(1001, price=250), flight(1002, price=100, cls="business")]
    assert correct_action(context(table, goal, reservation=1000)) == Action("change", "Ava Adams", 1001)
    assert correct_action(context(table[2:], goal, reservation=1002)) == Action("no_flight", "Ava Adams")


def test_success_is_an_exact_match_but_for_the_names_case_and_spaces():
    ctx = context([flight(1000, price=450), flight(1001, price=250)])
    assert is_success(ctx, Action("book", "Ava Adams", 1001))
    assert is_success(ctx, Action("book", "  ava   ADAMS ", 1001))
    assert not is_success(ctx, Action("book", "Ava Adams", 1000))  # a match, not the cheapest
    assert not is_success(ctx, Action("change", "Ava Adams", 1001))
    assert not is_success(ctx, Action("book", "Ava Adam", 1001))
    assert not is_success(ctx, Action("book", "Ava Adams"))
    assert not is_success(ctx, None)
    assert is_success(context([]), Action("no_flight", "ava adams"))
    assert not is_success(context([]), Action("no_flight", "Ava Adams", 1000))


def test_parts_right_says_which_part_of_a_failed_action_was_wrong():
    ctx = context([flight(1000, price=450), flight(1001, price=250)])
    assert parts_right(ctx, Action("book", "ava adams", 1001)) == {
        "status": True,
        "flight": True,
        "name": True,
    }
    assert parts_right(ctx, Action("book", "Ava Adam", 1000)) == {
        "status": True,
        "flight": False,
        "name": False,
    }
    assert parts_right(ctx, Action("no_flight", "Ava Adams")) == {
        "status": False,
        "flight": False,
        "name": True,
    }
    assert parts_right(ctx, None) == {"status": False, "flight": False, "name": False}


@pytest.mark.parametrize(
    "action",
    [
        Action("book", "Ava Adams", 1012),
        Action("change", "Noah Zhang", 1029),
        Action("cancel", "Ben Lee"),
        Action("no_flight", "Ava Adams"),
        Action("no_reservation", "Zoe Patel"),
    ],
)
def test_parse_action_reads_back_action_text(action):
    assert action.text().startswith("ACTION: ")
    assert parse_action(action.text()) == action
    assert parse_action("  " + action.text().lower() + "\n") == dataclasses.replace(
        action, name=action.name.lower()
    )


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("What is your name?", None),
        ("I can book flight 1012 for you.", None),
        ("Actions first: may I know your name?", None),  # a sentence that starts with the word
        ("ACTION:", Action("invalid", "")),
        ("ACTION: fly | 1012 | Ava Adams", Action("invalid", "Ava Adams", 1012)),
        ("ACTION: book | Ava Adams", Action("book", "Ava Adams")),
        ("action no flight, Ava Adams", Action("no_flight", "Ava Adams")),
    ],
)
def test_parse_action_on_talk_and_malformed_actions(text, parsed):
    assert parse_action(text) == parsed


# ----- the rule-based customer


def constraints(goal: Goal, slots) -> dict:
    """What answering `slots` truthfully states: the goal's value for each key of those slots."""
    return {key: getattr(goal, key) for slot in slots for key in SLOT_KEYS[slot]}


@pytest.mark.parametrize("slot", list(QUESTIONS))
def test_the_customer_answers_exactly_the_slot_asked(slot):
    for seed in range(20):
        goal = sample_goal(random.Random(seed))
        for question in QUESTIONS[slot]:
            assert language.asked_slots(question) == [slot]
            reply = Customer(goal, seed).reply([], question)
            assert language.read_constraints(reply) == constraints(goal, [slot]), (question, reply)


def test_two_slots_in_one_utterance_get_two_answers():
    goal = sample_goal(random.Random(7))
    for first, second in [("price", "class"), ("route", "dates"), ("connections", "airline")]:
        question = f"{QUESTIONS[first][0]} {QUESTIONS[second][1]}"
        reply = Customer(goal, 7).reply([], question)
        assert language.read_constraints(reply) == constraints(goal, [first, second]), reply
        # One answer each, in the order of language.SLOTS.
        rng = random.Random("7:0")
        assert reply == " ".join(language.answer(s, goal, rng) for s in (first, second))


def test_the_customer_accepts_an_offer_that_meets_its_goal():
    for seed in range(10):
        reply = Customer(GOAL, seed).reply([], language.describe(flight(1004)))
        assert ACCEPT_RE.search(reply) and not reply.startswith("No"), reply


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"price": 550}, "No, that is over my budget."),
        ({"connections": 2}, "No, that has too many connections."),
        ({"airline": "United"}, "No, I only fly Delta."),
        ({"cls": "business"}, "No, I want economy class."),
        ({"depart_time": "evening"}, "No, the times do not suit me."),
        ({"return_time": "morning"}, "No, the times do not suit me."),
    ],
)
def test_the_customer_rejects_an_offer_with_the_reason(changes, reason):
    reply = Customer(GOAL, 0).reply([], language.describe(flight(1004, **changes)))
    assert reply == reason and not ACCEPT_RE.search(reply)


def test_the_customer_is_deterministic_for_a_seed_and_a_turn():
    goal = sample_context(3).goal
    history = FlightBookingEnv().reset(3)
    for question in ("What is your budget?", "hmm", language.describe(flight(1004))):
        replies = {Customer(goal, 3).reply(history, question) for _ in range(3)}
        assert len(replies) == 1
    # The wording varies with the seed (and the turn), so the data is not one fixed script.
    replies = {Customer(goal, seed).reply([], "Can I have your name, please?") for seed in range(30)}
    assert len(replies) > 1


def test_the_customer_asks_again_when_it_does_not_understand():
    customer = Customer(GOAL, 0)
    assert customer.reply([], "Hello there.") in (
        "Sorry, could you ask that again?",
        "I am not sure what you mean.",
    )
    assert customer.reply([], "Sorry, there are no flights for your trip.") == "Okay, thank you anyway."


# ----- the scripted agent reads the customer


def test_read_constraints_reads_back_every_answer_template():
    for seed in range(300):
        rng = random.Random(seed)
        goal = sample_goal(rng)
        for slot in language.SLOTS:
            for _ in range(4):  # several draws, so every phrasing of the slot turns up
                reply = language.answer(slot, goal, rng)
                assert language.read_constraints(reply) == constraints(goal, [slot]), (slot, reply)
        # Two answers in one line, as the customer gives them to a two-slot question (the scripted
        # agent asks the name on its own: a bare "Ava Adams." is only read as a whole line).
        first, second = sorted(rng.sample(language.SLOTS[1:], 2), key=language.SLOTS.index)
        reply = f"{language.answer(first, goal, rng)} {language.answer(second, goal, rng)}"
        assert language.read_constraints(reply) == constraints(goal, [first, second]), reply
        # The opening states the intent and maybe the name, nothing else.
        assert language.read_constraints(language.opening(goal, rng)) in ({}, {"name": goal.name})


# ----- the scripted agents


def play(policy, seed: int) -> FlightBookingEnv:
    env = FlightBookingEnv()
    env.reset(seed)
    while not env.done:
        env.step(policy(env, list(env.history)))
    return env


def test_the_solver_succeeds_on_every_seed():
    failed = [seed for seed in range(200) if play(solver_policy, seed).total_reward != 1.0]
    assert failed == []


def test_the_behaviour_policy_slips_but_is_mostly_right():
    policy = behaviour_policy(random.Random(0))
    rate = sum(play(policy, seed).total_reward for seed in range(300)) / 300
    assert 0.5 < rate < 0.95


# ----- the env


def test_an_action_line_ends_the_game_with_reward_one_only_when_correct():
    seed = 5
    want = correct_action(sample_context(seed))
    env = FlightBookingEnv()
    env.reset(seed)
    _, reward, done, info = env.step(want.text())
    assert done and reward == 1.0 and info["success"]
    assert env.history[-1].text == "[the call ends: correct]\n"
    with pytest.raises(GameOver):
        env.step("Hello?")
    for wrong in (Action("no_flight", want.name), dataclasses.replace(want, flight=want.flight + 1)):
        env.reset(seed)
        env.step("May I know your name?")
        _, reward, done, info = env.step(wrong.text())
        assert done and reward == 0.0 and not info["success"]
        assert "wrong; the correct action was" in env.history[-1].text
    env.reset(seed)
    assert env.step("ACTION: please").done and env.total_reward == 0.0


def test_twelve_agent_turns_without_an_action_end_the_game():
    env = FlightBookingEnv()
    env.reset(1)
    for turn in range(1, MAX_AGENT_TURNS + 1):
        _, reward, done, info = env.step("What is your budget?")
        assert reward == 0.0 and done == (turn == MAX_AGENT_TURNS)
    assert info["truncated"] and env.total_reward == 0.0
    assert len(env.history) == 1 + 2 * MAX_AGENT_TURNS


def test_replay_with_the_same_seed_and_actions_gives_the_same_history():
    first = play(solver_policy, 11)
    actions = [t.text for t in first.history if t.is_action]
    again = FlightBookingEnv()
    assert again.replay(11, actions) == first.history
    assert again.total_reward == first.total_reward == 1.0


def test_render_holds_the_flight_table_for_the_agent_only():
    env = make_env("flight_booking")
    history = env.reset(4)
    state = env.render()
    json.dumps(state)  # the web UI and the API send it as JSON
    table = state["flights"]
    assert table["columns"][0] == "id" and len(table["columns"]) == 10
    assert len(table["rows"]) == 30 and [row[0] for row in table["rows"]] == list(range(1000, 1030))
    assert state["reservation"] in ("none", f"flight {env.context.reservation}")
    assert state["agent_only"] == ["flights", "reservation"]
    # The dialogue itself holds none of the table, and the customer's card holds its goal.
    assert not any(ch.isdigit() for t in history for ch in t.text)
    assert env.secret == goal_card(env.context.goal)
    env.step(correct_action(env.context).text())
    assert env.render()["action"] == correct_action(env.context).text()


def test_a_change_with_a_reservation_shows_it():
    seed = next(s for s in range(500) if sample_context(s).reservation is not None)
    env = FlightBookingEnv()
    env.reset(seed)
    assert env.render()["reservation"] == f"flight {env.context.reservation}"


def test_a_person_as_the_customer_answers_through_the_oracle():
    env = make_env("flight_booking", oracle=ScriptedOracle(["My name is Ava Adams."]))
    env.reset(2)
    assert env.step("May I know your name?").observation == "My name is Ava Adams.\n"
    with pytest.raises(NeedsReply):
        env.step("Where are you flying from and to?")
