"""Text-Nav: the house, the command grammar, observations, the solver and the offline dataset."""

import copy
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ml.rl.envs.textnav as textnav
from ml.rl.envs.base import EnvError, GameOver, VectorEnv, make_env
from ml.rl.envs.datasets import generate
from ml.rl.envs.trajectories import read_jsonl

TASKS = ("textnav_fo", "textnav_po")
# Real commands mixed into random text, so property tests also reach doors, containers and the fridge.
SOME_COMMANDS = [
    *(f"go to {room}" for room in textnav.ROOMS),
    *(f"open door to {room}" for room in textnav.ROOMS),
    "take stale food from table",
    "open fridge",
    "put stale food in fridge",
    "look",
]
REFUSALS = ("I don't understand", "You can't", "You are already", "The door to", "Take it", "Put it", "The ")


def game(task: str = "textnav_fo", seed: int = 0, room: str | None = None) -> textnav.TextNav:
    env = make_env(task)
    env.reset(seed)
    if room is not None:
        env.room = room
    return env


def open_everything(env: textnav.TextNav) -> None:
    env.door_open = dict.fromkeys(env.door_open, True)
    env.place_open = dict.fromkeys(env.place_open, True)


def clone(env: textnav.TextNav) -> textnav.TextNav:
    """A copy of the game state, cheaper than deepcopy (the history is left behind)."""
    trial = copy.copy(env)
    trial.history = []
    trial.door_open, trial.place_open = dict(env.door_open), dict(env.place_open)
    trial.contents = {place: list(items) for place, items in env.contents.items()}
    trial.inventory = list(env.inventory)
    return trial


def play_solver(env: textnav.TextNav) -> None:
    while not env.done:
        env.step(textnav.solver_action(env))


# --- the house and the seed


def test_the_house_has_nine_connected_rooms():
    assert 8 <= len(textnav.ROOMS) <= 10
    assert all((a, b) in textnav.FIRST_STEP for a in textnav.ROOMS for b in textnav.ROOMS)
    assert set(textnav.PLACES) == set(textnav.ROOMS)
    assert textnav.PLACES["kitchen"]["fridge"] is True and textnav.PLACES["living room"]["table"] is False


def test_the_seed_draws_start_room_doors_containers_and_distractors():
    layouts = set()
    for seed in range(60):
        env = game(seed=seed)
        assert env.contents[textnav.TARGET_START][0] == textnav.TARGET
        assert env.place_open[textnav.TARGET_END] is False and env.inventory == []
        distractors = [item for items in env.contents.values() for item in items if item != textnav.TARGET]
        assert 4 <= len(distractors) <= 7 and len(set(distractors)) == len(distractors)
        layouts.add(
            (
                env.room,
                tuple(env.door_open[textnav._door(a, b)] for a, b in textnav.DOORS),
                json.dumps(sorted(map(str, env.contents.items()))),
            )
        )
    assert len({room for room, _, _ in layouts}) == len(textnav.ROOMS)
    assert len(layouts) == 60
    one, two = game(seed=11), game(seed=11)
    assert (one.room, one.door_open, one.place_open, one.contents) == (
        two.room,
        two.door_open,
        two.place_open,
        two.contents,
    )


# --- the rules


def test_closed_doors_block_until_opened():
    env = game(room="hallway")
    env.door_open[textnav._door("hallway", "living room")] = False
    result = env.step("go to living room")
    assert "the door is closed" in result.observation and env.room == "hallway" and result.reward == 0.0
    assert env.step("open door to living room").observation.startswith("You open the door")
    env.step("go to living room")
    assert env.room == "living room"


def test_rooms_without_a_door_between_are_not_reachable():
    env = game(room="bathroom")
    open_everything(env)
    assert "no door leads there" in env.step("go to kitchen").observation
    assert env.room == "bathroom"


def test_taking_needs_an_open_container_and_putting_needs_the_object():
    env = game(room="kitchen")
    env.place_open[("kitchen", "cupboard")] = False
    env.contents[("kitchen", "cupboard")] = ["mug"]
    assert "it is closed" in env.step("take mug from cupboard").observation
    assert env.step("open cupboard").observation.startswith("You open the cupboard. Inside: mug.")
    assert env.step("take mug from cupboard").observation.startswith("You take the mug from the cupboard.")
    assert env.inventory == ["mug"]
    assert "not carrying" in env.step("put stale food in cupboard").observation
    assert env.step("put mug on counter").observation.startswith("You put the mug on the counter.")
    assert env.contents[("kitchen", "counter")] == ["mug"] and env.inventory == []


def test_stale_food_in_the_fridge_wins_and_anywhere_else_does_not():
    env = game(room="kitchen")
    env.contents[textnav.TARGET_START].remove(textnav.TARGET)
    env.inventory = [textnav.TARGET]
    assert "it is closed" in env.step("put stale food in fridge").observation
    assert env.step("put stale food on counter").reward == 0.0
    env.step("take stale food from counter")
    env.step("open fridge")
    result = env.step("Put the Stale Food in the Fridge.")
    assert (result.reward, result.done, result.info["success"]) == (1.0, True, True)
    assert result.observation == "You put the stale food in the fridge. Task complete!\n"
    with pytest.raises(GameOver):
        env.step("look")


def test_the_fridge_of_another_room_does_not_count():
    env = game(room="living room")
    open_everything(env)
    env.step("take stale food from table")
    result = env.step("put stale food in cabinet")
    assert result.reward == 0.0 and not result.done


@pytest.mark.parametrize("task", TASKS)
def test_the_game_is_cut_off_after_50_actions(task):
    env = game(task)
    for _ in range(49):
        assert not env.step("look").done
    result = env.step("inventory")
    assert result.done and result.info["truncated"] and env.total_reward == 0.0


@pytest.mark.parametrize(
    "command",
    [
        "",
        "dance",
        "go to",
        "go to the moon",
        "go to kitchen please",
        "open",
        "open door to",
        "open door to garage",
        "close the sofa",
        "open piano",
        "take",
        "take stale food",
        "take piano from table",
        "take stale food from fridge",
        "put",
        "put stale food",
        "put stale food in fridge",
        "put in in in",
        "take from from from",
        "go to living room",
        "open door to living room" * 3,
        "\x00",
        "🍕 🍕",
    ],
)
def test_impossible_or_unknown_commands_get_a_reply_and_change_nothing(command):
    env = game(room="living room")
    env.door_open[textnav._door("living room", "hallway")] = True
    before = copy.deepcopy((env.room, env.door_open, env.place_open, env.contents, env.inventory))
    result = env.step(command)
    assert result.reward == 0.0 and not result.done
    assert result.observation.startswith(REFUSALS) and result.observation.endswith("\n")
    assert (env.room, env.door_open, env.place_open, env.contents, env.inventory) == before


def test_unknown_commands_list_the_grammar():
    assert "Commands: look, inventory, go to <room>" in game().step("fly away").observation


def test_commands_ignore_case_space_articles_and_a_full_stop():
    env = game(room="living room")
    assert env.step("  TAKE   the stale food FROM the Table.  ").observation.startswith(
        "You take the stale food"
    )
    assert env.inventory == ["stale food"]


# --- observations


def test_fo_shows_room_and_inventory_after_every_reply():
    env = game("textnav_fo", room="living room")
    first = env.history[0].text
    assert first.startswith(textnav.TASK_TEXT) and "You are carrying nothing." in first
    for command in ("open door to hallway", "take stale food from table", "dance"):
        obs = env.step(command).observation
        assert "You are in the living room. You see a table" in obs and "You are carrying" in obs
    assert obs.endswith("You are carrying stale food.\n")


def test_po_shows_the_room_only_on_entering_or_looking_and_the_inventory_only_when_asked():
    env = game("textnav_po", room="living room")
    open_everything(env)
    assert "You are carrying" not in env.history[0].text and "You are in the" in env.history[0].text
    assert env.step("take stale food from table").observation == "You take the stale food from the table.\n"
    assert env.step("inventory").observation == "You are carrying stale food.\n"
    assert env.step("look").observation.startswith("You are in the living room. You see a table")
    assert env.step("open door to hallway").observation == "The door to the hallway is already open.\n"
    entered = env.step("go to hallway").observation
    assert entered.startswith("You are in the hallway.") and "carrying" not in entered


def test_descriptions_show_closed_containers_without_their_contents():
    env = game(room="kitchen")
    env.contents[("kitchen", "fridge")] = ["cheese"]
    assert "a fridge (closed)" in env.step("look").observation and "cheese" not in env.history[-1].text
    env.step("open fridge")
    assert "a fridge (open: cheese)" in env.step("look").observation


@pytest.mark.parametrize("task", TASKS)
def test_every_utterance_is_one_line_ending_with_a_newline(task):
    rng = random.Random(2)
    env = make_env(task)
    for seed in range(10):
        env.reset(seed)
        while not env.done:
            env.step(rng.choice(env.legal_actions() + ["nonsense"]))
        assert all(t.text.endswith("\n") and t.text.count("\n") == 1 for t in env.history)


def test_every_legal_action_does_something():
    rng = random.Random(3)
    for seed in range(15):
        env = game(seed=seed)
        while not env.done:
            legal = env.legal_actions()
            assert len(set(legal)) == len(legal)
            for action in legal:
                trial = clone(env)
                obs = trial.step(action).observation
                assert not obs.startswith(("I don't understand", "You can't", "The ")), (action, obs)
            env.step(rng.choice(legal))


def test_render_describes_the_room_for_the_ui():
    env = game("textnav_po", room="kitchen")
    view = env.render()
    json.dumps(view)
    assert view["room"] == "kitchen" and view["inventory"] == [] and not view["visible"]
    fridge = next(p for p in view["places"] if p["name"] == "fridge")
    assert fridge == {"name": "fridge", "container": True, "open": False, "objects": None}
    assert {d["to"] for d in view["doors"]} == {"dining room", "garage", "pantry"}
    assert game("textnav_fo").render()["visible"]


def test_options_are_refused():
    with pytest.raises(EnvError):
        make_env("textnav_po", rooms=3)


# --- the solver


@pytest.mark.parametrize("task", TASKS)
def test_the_solver_succeeds_for_50_seeds_within_the_cap(task):
    env = make_env(task)
    for seed in range(50):
        env.reset(seed)
        play_solver(env)
        assert env.total_reward == 1.0 and env.steps < textnav.MAX_STEPS // 2


def test_the_solver_recovers_from_any_state_random_commands_leave():
    rng = random.Random(4)
    env = make_env("textnav_fo")
    for seed in range(50):
        env.reset(seed)
        for _ in range(rng.randint(0, 30)):
            if env.done:
                break
            env.step(rng.choice(env.legal_actions()))
        if env.done:
            continue
        env.steps = 0  # the solver's own moves must fit in a fresh cap
        play_solver(env)
        assert env.total_reward == 1.0


def test_normalisation_uses_the_measured_constants():
    for task in TASKS:
        norm = make_env(task).normalisation
        assert norm is textnav.NORMALISATION_MEASURED and norm.source == "measured"
        assert (norm.min, norm.max) == (0.0, 1.0) and 0.0 < norm.avg < 1.0
    assert textnav.NORMALISATION_PAPER == textnav.Normalisation(0.0, 0.26, 1.0)


# --- property tests


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(TASKS),
    st.integers(0, 2**32),
    st.lists(st.one_of(st.text(max_size=40), st.sampled_from(SOME_COMMANDS)), max_size=30),
)
def test_any_text_is_a_valid_command(task, seed, commands):
    env = make_env(task)
    env.reset(seed)
    for command in commands:
        if env.done:
            break
        result = env.step(command)
        assert result.reward in (0.0, 1.0)
        assert result.observation.endswith("\n")
    assert all(turn.text.endswith("\n") for turn in env.history)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(
        st.sampled_from(
            [
                "take",
                "put",
                "from",
                "in",
                "on",
                "the",
                "stale",
                "food",
                "table",
                "fridge",
                "door",
                "to",
                "open",
                "close",
                "go",
                "kitchen",
                " ",
                ".",
            ]
        ),
        max_size=12,
    ),
)
def test_near_miss_commands_built_from_grammar_words_never_crash(seed, words):
    env = game(seed=seed, room="living room")
    result = env.step(" ".join(words))
    assert result.reward == 0.0


# --- vectors and datasets


def test_vector_env_steps_games_together():
    vec = VectorEnv(lambda: make_env("textnav_po"), 5)
    vec.reset(range(5))
    while not all(vec.done):
        actions = [None if env.done else textnav.solver_action(env) for env in vec.envs]
        for action, result in zip(actions, vec.step(actions), strict=True):
            assert result.info.get("skipped", False) == (action is None)
    assert [env.total_reward for env in vec.envs] == [1.0] * 5


@pytest.mark.parametrize("task", TASKS)
def test_generate_writes_a_dataset_that_reads_back_and_replays(task, tmp_path):
    summary = generate(task, 40, 5, tmp_path / "data.jsonl")
    head, trajectories = read_jsonl(tmp_path / "data.jsonl")
    assert head["task"] == task and head["seed"] == 5 and head["n"] == 40
    assert head["generator"] == "behaviour:" + textnav._RECIPE
    trajectories = list(trajectories)
    assert len(trajectories) == 40
    assert summary["mean_return"] == round(sum(t.ret for t in trajectories) / 40, 4)
    assert 0 < sum(t.ret for t in trajectories) < 40  # some succeed, some do not
    env = make_env(task)
    for t in trajectories:
        actions = [turn for turn in t.turns if turn.is_action]
        rewards = [turn.reward for turn in actions]
        assert t.done and len(actions) <= textnav.MAX_STEPS
        assert rewards[:-1] == [0.0] * (len(rewards) - 1) and rewards[-1] in (0.0, 1.0)
        assert t.truncated == (rewards[-1] == 0.0)
        assert env.reset(t.seed)[0].text == t.turns[0].text
        for i, turn in enumerate(actions):
            result = env.step(turn.text)
            assert (result.observation, result.reward) == (t.turns[2 * i + 2].text, turn.reward)
