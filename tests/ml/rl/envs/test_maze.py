"""The Maze tasks: rules, observations, solvers, normalisation and the offline dataset."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ml.rl.envs.maze as maze
from ml.rl.envs.base import EnvError, GameOver, VectorEnv, make_env
from ml.rl.envs.datasets import generate
from ml.rl.envs.trajectories import read_jsonl

TASKS = ("maze_fo", "maze_po")
REWARDS = {0.0, -1.0, -4.0}


def at(task: str, position: tuple[int, int]) -> maze.Maze:
    """A fresh game of `task` with the player moved to `position`."""
    env = make_env(task)
    env.reset(0)
    env.cell = maze.cell_of(position)
    return env


def an_open_cell(walls: set[str]) -> tuple[int, int]:
    """Some non-goal open cell whose walls include `walls`."""
    for cell in maze.OPEN_CELLS:
        if cell != maze.GOAL_CELL and walls <= set(maze.WALLS[cell]):
            return maze.position_of(cell)
    raise AssertionError(f"no cell with walls {walls}")


# --- the layout


def test_layout_is_10_by_13_with_the_goal_at_8_6_reachable_from_every_open_cell():
    assert (maze.ROWS, maze.COLS) == (10, 13)
    assert all(len(row) == 13 for row in maze.LAYOUT)
    assert maze.LAYOUT[8][6] == "." and maze.GOAL == (8, 6)
    # The border is wall all round, so no move leaves the grid.
    assert set(maze.LAYOUT[0]) == set(maze.LAYOUT[-1]) == {"#"}
    assert all(row[0] == row[-1] == "#" for row in maze.LAYOUT)
    assert set(maze.DISTANCE) == set(maze.OPEN_CELLS)


def test_start_cells_are_the_open_cells_at_least_four_moves_away():
    assert maze.GOAL_CELL not in maze.START_CELLS
    assert all(maze.DISTANCE[c] >= maze.MIN_START_DISTANCE for c in maze.START_CELLS)
    near = [c for c in maze.OPEN_CELLS if maze.DISTANCE[c] < maze.MIN_START_DISTANCE]
    assert len(maze.START_CELLS) + len(near) == len(maze.OPEN_CELLS)


def test_the_seed_draws_the_start():
    env = make_env("maze_fo")
    starts = {}
    for seed in range(200):
        env.reset(seed)
        assert env.cell in maze.START_CELLS
        starts[seed] = env.cell
    env.reset(17)
    assert env.cell == starts[17]
    assert len(set(starts.values())) > len(maze.START_CELLS) // 2


# --- the rules


@pytest.mark.parametrize("task", TASKS)
def test_a_move_costs_one_and_moves_you(task):
    position = an_open_cell({"up", "down"})  # a left-right corridor cell, so right or left is open
    env = at(task, position)
    direction = "left" if "left" not in maze.WALLS[env.cell] else "right"
    result = env.step(f"move {direction}")
    assert result.reward == -1.0 and not result.done
    assert env.position == (position[0], position[1] + (1 if direction == "right" else -1))


@pytest.mark.parametrize("task", TASKS)
def test_bumping_into_a_wall_costs_one_and_leaves_you_where_you_were(task):
    position = an_open_cell({"up"})
    env = at(task, position)
    result = env.step("move up")
    assert result.reward == -1.0 and not result.done
    assert env.position == position


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize(
    "action", ["", "up", "move", "go up", "move upward", "move up please", "move up.", "moveup", "🧭", "4"]
)
def test_an_unparseable_action_costs_four_and_does_not_move(task, action):
    env = at(task, (1, 1))
    result = env.step(action)
    assert result.reward == -4.0 and not result.done
    assert env.position == (1, 1)
    assert "not a move" in result.observation


@pytest.mark.parametrize(
    "action", ["MOVE DOWN", "Move Down", "  move down  ", "move   down", "\tmove\tdown\n"]
)
def test_case_and_whitespace_variations_parse(action):
    env = at("maze_fo", (1, 1))
    assert env.step(action).reward == -1.0
    assert env.position == (2, 1)


@pytest.mark.parametrize("task", TASKS)
def test_reaching_the_goal_pays_zero_and_ends_the_game(task):
    env = at(task, (7, 6))  # right above the goal
    result = env.step("move down")
    assert (result.reward, result.done) == (0.0, True)
    assert not result.info.get("truncated")
    assert result.observation == "You reached the goal.\n"
    with pytest.raises(GameOver):
        env.step("move up")


@pytest.mark.parametrize("task", TASKS)
def test_the_game_is_cut_off_after_100_actions(task):
    env = at(task, (1, 1))
    for _ in range(99):
        assert not env.step("dance").done
    result = env.step("dance")
    assert result.done and result.info["truncated"]
    assert env.total_reward == -400.0 and env.steps == 100
    with pytest.raises(GameOver):
        env.step("move down")


def test_100_legal_moves_without_the_goal_return_the_measured_minimum():
    env = at("maze_fo", (1, 1))
    for _ in range(100):
        env.step("move up")  # (1, 1) has a wall above: bump forever
    assert env.done and env.total_reward == maze.NORMALISATION_MEASURED["maze_fo"].min == -100.0


# --- observations


def test_fo_observation_shows_position_goal_and_walls():
    env = at("maze_fo", (1, 1))
    obs = env.step("move down").observation
    assert obs == "You are at (2, 1). The goal is at (8, 6). Walls: left, right.\n"
    first = make_env("maze_fo").reset(3)[0]
    assert "You are at (" in first.text and "The goal is at (8, 6)." in first.text


def test_po_observation_shows_only_the_walls():
    env = at("maze_po", (1, 1))
    assert env.step("move down").observation == "Walls: left, right.\n"
    assert env.step("move right").observation == "Walls: left, right.\n"  # bumped; same cell
    assert env.step("move up").observation == "Walls: up, left.\n"
    for seed in range(30):
        text = make_env("maze_po").reset(seed)[0].text
        assert text.startswith("Walls: ") and not any(ch.isdigit() for ch in text)


def test_the_walls_named_are_the_walls_of_the_layout():
    for cell in maze.OPEN_CELLS:
        r, c = maze.position_of(cell)
        around = {"up": (r - 1, c), "down": (r + 1, c), "left": (r, c - 1), "right": (r, c + 1)}
        walls = [d for d in maze.DIRECTIONS if maze.LAYOUT[around[d][0]][around[d][1]] == "#"]
        assert list(maze.WALLS[cell]) == walls and walls, "no cell is open all round in this layout"
        env = at("maze_po", (r, c))
        env.step("move nowhere")
        assert env.history[-1].text.endswith(f"Walls: {', '.join(walls)}.\n")


@pytest.mark.parametrize("task", TASKS)
def test_every_utterance_ends_with_a_newline(task):
    env = make_env(task)
    rng = random.Random(1)
    for seed in range(5):
        env.reset(seed)
        while not env.done:
            env.step(rng.choice([*maze.MOVES, "jump", "  MOVE LEFT  "]))
        assert all(turn.text.endswith("\n") and turn.text.count("\n") == 1 for turn in env.history)
        assert [t.is_action for t in env.history] == [False] + [True, False] * env.steps


def test_legal_actions_are_the_four_moves():
    assert make_env("maze_po").legal_actions() == ["move up", "move down", "move left", "move right"]


def test_render_reveals_the_po_position_only_after_the_game():
    fo, po = at("maze_fo", (7, 6)), at("maze_po", (7, 6))
    assert fo.render()["visible"] and not po.render()["visible"]
    view = po.render()
    assert view["grid"] == list(maze.LAYOUT) and view["goal"] == [8, 6] and view["position"] == [7, 6]
    assert view["walls"] == ["up"] and view["fully_observed"] is False
    json.dumps(view)
    po.step("move down")
    assert po.render()["visible"] and po.render()["done"]


def test_options_are_refused():
    with pytest.raises(EnvError):
        make_env("maze_fo", size=3)


# --- solvers


def test_the_solver_reaches_the_goal_from_every_open_cell_by_a_shortest_path():
    for cell in maze.OPEN_CELLS:
        if cell == maze.GOAL_CELL:
            continue
        env = at("maze_fo", maze.position_of(cell))
        while not env.done:
            env.step(maze.solver_policy(env, env.history))
        assert env.steps == maze.DISTANCE[cell]
        assert env.total_reward == maze.optimal_return(cell)
        assert len(maze.shortest_path(maze.position_of(cell))) == maze.DISTANCE[cell]


def test_random_play_rarely_reaches_the_goal():
    env, rng = make_env("maze_fo"), random.Random(0)
    reached = 0
    for seed in range(300):
        env.reset(seed)
        while not env.done:
            result = env.step(rng.choice(maze.MOVES))
        reached += not result.info.get("truncated")
    assert reached / 300 < 0.15


def test_po_optimum_lies_below_the_fo_optimum_and_matches_it_with_one_start():
    fo_best = sum(maze.optimal_return(c) for c in maze.START_CELLS) / len(maze.START_CELLS)
    po_best = maze.po_optimal_return()
    assert po_best < fo_best
    for cell in maze.START_CELLS[:10]:
        assert maze.po_optimal_return((cell,)) == maze.optimal_return(cell)


def test_normalisation_uses_the_measured_constants():
    for task in TASKS:
        env = make_env(task)
        assert env.normalisation is maze.NORMALISATION_MEASURED[task]
        assert env.normalisation.source == "measured"
        assert maze.NORMALISATION_PAPER[task].min == -101.0
    fo_best = sum(maze.optimal_return(c) for c in maze.START_CELLS) / len(maze.START_CELLS)
    assert maze.NORMALISATION_MEASURED["maze_fo"].max == round(fo_best, 3)
    assert maze.NORMALISATION_MEASURED["maze_po"].max == round(maze.po_optimal_return(), 3)


# --- property tests


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(TASKS),
    st.integers(0, 2**32),
    st.lists(st.one_of(st.text(max_size=20), st.sampled_from(maze.MOVES)), max_size=120),
)
def test_any_text_is_a_valid_action(task, seed, actions):
    env = make_env(task)
    env.reset(seed)
    for action in actions:
        if env.done:
            break
        result = env.step(action)
        assert result.reward in REWARDS
        assert result.observation.endswith("\n")
        assert env.cell in maze.NEXT
    assert all(turn.text.endswith("\n") for turn in env.history)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(maze.MOVES), st.sampled_from(["", " ", "\t", "  \n"]), st.booleans())
def test_moves_parse_whatever_the_case_and_surrounding_space(move, space, upper):
    text = space + (move.upper() if upper else move.title()) + space
    assert maze.parse_move(text.strip()) == maze.MOVES.index(move)


# --- vectors and datasets


def test_vector_env_steps_games_together():
    vec = VectorEnv(lambda: make_env("maze_fo"), 4)
    vec.reset([0, 1, 2, 3])
    starts = [env.cell for env in vec.envs]
    while not all(vec.done):
        actions = [None if env.done else maze.solver_policy(env, env.history) for env in vec.envs]
        for action, result in zip(actions, vec.step(actions), strict=True):
            assert result.reward in REWARDS
            assert result.info.get("skipped", False) == (action is None)
    assert [env.steps for env in vec.envs] == [maze.DISTANCE[c] for c in starts]
    assert [env.total_reward for env in vec.envs] == [maze.optimal_return(c) for c in starts]


@pytest.mark.parametrize("task", TASKS)
def test_generate_writes_a_dataset_that_reads_back_and_replays(task, tmp_path):
    summary = generate(task, 30, 7, tmp_path / "data.jsonl")
    head, trajectories = read_jsonl(tmp_path / "data.jsonl")
    assert head["task"] == task and head["seed"] == 7 and head["n"] == 30
    assert head["generator"] == "behaviour:" + maze.BEHAVIOUR_RECIPE[task]
    trajectories = list(trajectories)
    assert len(trajectories) == 30
    assert summary["mean_return"] == round(sum(t.ret for t in trajectories) / 30, 4)
    env = make_env(task)
    for t in trajectories:
        actions = [turn for turn in t.turns if turn.is_action]
        rewards = [turn.reward for turn in actions]
        assert set(rewards) <= {0.0, -1.0} and len(actions) <= 100
        reached = not t.truncated
        assert t.done and rewards[:-1] == [-1.0] * (len(rewards) - 1)
        assert rewards[-1] == (0.0 if reached else -1.0)
        assert t.truncated == (len(actions) == 100 and rewards[-1] == -1.0)
        # Replaying the actions from the seed gives back the same observations and rewards.
        assert env.reset(t.seed)[0].text == t.turns[0].text
        for i, turn in enumerate(actions):
            result = env.step(turn.text)
            assert (result.observation, result.reward) == (t.turns[2 * i + 2].text, turn.reward)
