"""LMRL-Gym Maze on our own fixed 10-row by 13-column layout: `maze_fo` (fully observed) and `maze_po`.

Positions are (row, column), row 0 at the top: `move up` lowers the row, `move left` lowers the column.
The goal is at (8, 6). A game starts on a cell drawn by the seed, uniformly from the open cells at least
MIN_START_DISTANCE moves from the goal (START_CELLS, 46 cells). Moves are `move up/down/left/right`, in
any case and with any whitespace between and around the words; anything else is unparseable. Bumping
into a wall leaves you where you were.

Reward: 0 for the move that reaches the goal (the game ends), -1 for any other parseable move, -4 for an
unparseable action (you stay put). At most 100 actions.

The fully observed game shows your position, the goal and the walls around you; the partially observed
one shows only the walls around you (the history carries the rest).

Normalisation. The paper's constants are for its own maze; ours is a different layout, so the task uses
constants measured on this one (NORMALISATION_MEASURED):

- min = -100: the worst return of a game played with parseable moves (100 moves, never at the goal).
  The paper's -101 does not follow from the rules as stated; the true floor is -400 (100 unparseable
  actions), which would squash every well-formed policy into a narrow band, so unparseable play is
  allowed to score below 0 instead.
- avg: the mean return of `datasets.generate(task, n=1000, seed=0)` (the behaviour policy below).
- max: FO, the shortest-path solver's mean return over START_CELLS (a path of d moves returns -(d-1)).
  PO, the best expected return any policy can get from what the PO player sees: exact value iteration
  over belief states (the sets of cells consistent with the walls seen so far), see po_optimal_return.

Measured with `python -m ml.rl.envs.maze` (prints the constants below):

    maze_fo: min -100, avg -80.041, max -13.804
    maze_po: min -100, avg -80.041, max -15.761

The two averages agree because the behaviour policy and the seeds are the same and the variants differ
only in what they show. PO play that knows the layout localises itself fast here (104 reachable beliefs;
its optimal play never needs more than 23 moves), so the PO max sits only two moves below the FO one.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter, deque
from pathlib import Path
from typing import Any

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, register_task
from ml.rl.envs.datasets import behaviour, generate

LAYOUT = (
    "#############",
    "#...........#",
    "#.###.#.#.#.#",
    "#.#...#.#.#.#",
    "#.#.###.#.###",
    "#...#...#...#",
    "###.#.#####.#",
    "#...#.....#.#",
    "#.####.###..#",
    "#############",
)
ROWS, COLS = len(LAYOUT), len(LAYOUT[0])
GOAL = (8, 6)
MIN_START_DISTANCE = 4
MAX_STEPS = 100

DIRECTIONS = ("up", "down", "left", "right")
OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1))
MOVES = tuple(f"move {d}" for d in DIRECTIONS)
UNPARSEABLE_REWARD = -4.0

NORMALISATION_PAPER = {
    "maze_fo": Normalisation(-101.0, -83.0, -6.84),
    "maze_po": Normalisation(-101.0, -83.0, -25.75),
}
NORMALISATION_MEASURED = {
    "maze_fo": Normalisation(-100.0, -80.041, -13.804, source="measured"),
    "maze_po": Normalisation(-100.0, -80.041, -15.761, source="measured"),
}

# --- the layout, precomputed once: a cell is the int row * COLS + col, so step() does dict lookups only.

Cell = int


def cell_of(position: tuple[int, int]) -> Cell:
    return position[0] * COLS + position[1]


def position_of(cell: Cell) -> tuple[int, int]:
    return divmod(cell, COLS)


OPEN_CELLS: tuple[Cell, ...] = tuple(
    cell_of((r, c)) for r in range(ROWS) for c in range(COLS) if LAYOUT[r][c] != "#"
)
GOAL_CELL = cell_of(GOAL)


def _neighbours(cell: Cell) -> tuple[Cell, ...]:
    """The cell each direction leads to from `cell` (itself where a wall is in the way)."""
    r, c = position_of(cell)
    return tuple(cell_of((r + dr, c + dc)) if LAYOUT[r + dr][c + dc] != "#" else cell for dr, dc in OFFSETS)


NEXT: dict[Cell, tuple[Cell, ...]] = {cell: _neighbours(cell) for cell in OPEN_CELLS}
WALLS: dict[Cell, tuple[str, ...]] = {
    cell: tuple(d for d, to in zip(DIRECTIONS, NEXT[cell], strict=True) if to == cell) for cell in OPEN_CELLS
}


def _distances_to_goal() -> dict[Cell, int]:
    # Moves are reversible, so a BFS out from the goal gives every cell's distance to it.
    dist = {GOAL_CELL: 0}
    queue = deque([GOAL_CELL])
    while queue:
        cell = queue.popleft()
        for to in NEXT[cell]:
            if to not in dist:
                dist[to] = dist[cell] + 1
                queue.append(to)
    return dist


DISTANCE = _distances_to_goal()
assert len(DISTANCE) == len(OPEN_CELLS), "every open cell must reach the goal"
# The first move of a shortest path from each cell (ties go to the first direction in DIRECTIONS).
BEST_MOVE: dict[Cell, str] = {
    cell: MOVES[min(range(4), key=lambda i, cell=cell: DISTANCE[NEXT[cell][i]])]
    for cell in OPEN_CELLS
    if cell != GOAL_CELL
}
START_CELLS: tuple[Cell, ...] = tuple(c for c in OPEN_CELLS if DISTANCE[c] >= MIN_START_DISTANCE)

# An action string -> direction index. Exact strings hit on the first lookup; others are normalised once.
_DIRECTION_OF = {move: i for i, move in enumerate(MOVES)}


def parse_move(action: str) -> int | None:
    """The direction index of a move action, or None where it is not one."""
    direction = _DIRECTION_OF.get(action)
    if direction is None:
        direction = _DIRECTION_OF.get(" ".join(action.lower().split()))
    return direction


def _walls_text(cell: Cell) -> str:
    walls = WALLS[cell]
    return f"Walls: {', '.join(walls)}." if walls else "Walls: none."


def _fo_text(cell: Cell) -> str:
    return f"You are at {position_of(cell)}. The goal is at {GOAL}. {_walls_text(cell)}"


_HINT = "That is not a move; say move up, move down, move left or move right."
GOAL_TEXT = "You reached the goal."
_TEXTS = {
    True: {cell: _fo_text(cell) for cell in OPEN_CELLS},
    False: {cell: _walls_text(cell) for cell in OPEN_CELLS},
}
_UNPARSEABLE_TEXTS = {
    observed: {cell: f"{_HINT} {text}" for cell, text in texts.items()} for observed, texts in _TEXTS.items()
}


class Maze(TextEnv):
    """Set `fully_observed` to choose the variant; MazeFO and MazePO are the registered tasks."""

    max_steps = MAX_STEPS
    fully_observed = True

    def __init__(self) -> None:
        super().__init__()
        self._texts = _TEXTS[self.fully_observed]
        self._unparseable_texts = _UNPARSEABLE_TEXTS[self.fully_observed]
        self.cell = START_CELLS[0]

    def _reset(self) -> str:
        self.cell = self.rng.choice(START_CELLS)
        return self._texts[self.cell]

    def _step(self, action: str) -> StepResult:
        direction = parse_move(action)
        if direction is None:
            return StepResult(self._unparseable_texts[self.cell], UNPARSEABLE_REWARD, False)
        self.cell = NEXT[self.cell][direction]
        if self.cell == GOAL_CELL:
            return StepResult(GOAL_TEXT, 0.0, True)
        return StepResult(self._texts[self.cell], -1.0, False)

    @property
    def position(self) -> tuple[int, int]:
        return position_of(self.cell)

    def legal_actions(self) -> list[str]:
        return list(MOVES)

    def render(self) -> dict[str, Any]:
        # A person playing PO should see what the agent sees: the walls around them. The position
        # and goal are sent for the end-of-game reveal; `visible` says when the UI may draw them.
        return {
            **super().render(),
            "grid": list(LAYOUT),
            "position": list(self.position),
            "goal": list(GOAL),
            "walls": list(WALLS[self.cell]),
            "fully_observed": self.fully_observed,
            "visible": self.fully_observed or self.done,
        }


class MazeFO(Maze):
    name = "maze_fo"
    normalisation = NORMALISATION_MEASURED["maze_fo"]
    fully_observed = True


class MazePO(Maze):
    name = "maze_po"
    normalisation = NORMALISATION_MEASURED["maze_po"]
    fully_observed = False


def _factory(cls: type[Maze]):
    def make(**options: Any) -> Maze:
        if options:
            raise EnvError(f"{cls.name} takes no options; got {', '.join(sorted(options))}")
        return cls()

    return make


register_task("maze_fo")(_factory(MazeFO))
register_task("maze_po")(_factory(MazePO))


# --- solvers


def shortest_path(position: tuple[int, int]) -> list[str]:
    """The moves of a shortest path from `position` to the goal."""
    cell, moves = cell_of(position), []
    while cell != GOAL_CELL:
        move = BEST_MOVE[cell]
        moves.append(move)
        cell = NEXT[cell][MOVES.index(move)]
    return moves


def solver_policy(env: TextEnv, history: History) -> str:
    """The shortest-path move from where `env` stands (reads the true position, in FO and PO alike)."""
    assert isinstance(env, Maze)
    return BEST_MOVE[env.cell]


def optimal_return(cell: Cell) -> float:
    """The best return from `cell` with full information: d moves cost d - 1 (the last one pays 0)."""
    return -float(DISTANCE[cell] - 1)


def po_optimal_return(starts: tuple[Cell, ...] = START_CELLS) -> float:
    """The best expected return in maze_po, starts uniform over `starts`.

    The PO player knows the layout and sees the walls around it. A belief is the multiset of cells it
    could be on (counted by how many starts lead there), split after every move by what the move shows:
    the goal, or the walls of the new cell. Value iteration over every belief reachable from the first
    observation gives the least expected cost, where a move costs 1 and the move onto the goal costs 0.
    """
    Belief = tuple[tuple[Cell, int], ...]

    def split(counts: Counter[Cell]) -> list[tuple[Belief, int]]:
        by_walls: dict[tuple[str, ...], Counter[Cell]] = {}
        for cell, n in counts.items():
            by_walls.setdefault(WALLS[cell], Counter())[cell] += n
        return [(tuple(sorted(c.items())), sum(c.values())) for c in by_walls.values()]

    def outcomes(belief: Belief, direction: int) -> tuple[int, list[tuple[Belief, int]]]:
        moved: Counter[Cell] = Counter()
        for cell, n in belief:
            moved[NEXT[cell][direction]] += n
        at_goal = moved.pop(GOAL_CELL, 0)
        return at_goal, split(moved)

    initial = split(Counter(starts))
    beliefs: dict[Belief, list[tuple[int, list[tuple[Belief, int]]]]] = {}
    todo = [b for b, _ in initial]
    while todo:
        belief = todo.pop()
        if belief in beliefs:
            continue
        beliefs[belief] = [outcomes(belief, d) for d in range(4)]
        todo.extend(b for _, parts in beliefs[belief] for b, _ in parts if b not in beliefs)

    value = dict.fromkeys(beliefs, 0.0)
    while True:
        change = 0.0
        for belief, actions in beliefs.items():
            total = sum(n for _, n in belief)
            best = min(sum(n * (1.0 + value[b]) for b, n in parts) / total for _, parts in actions)
            change = max(change, abs(best - value[belief]))
            value[belief] = best
        if change < 1e-9:
            break
    # A game's return is minus its cost; the first observation splits the starts before any move.
    return -sum(n * value[b] for b, n in initial) / len(starts)


# --- the offline data: the paper's recipe

RANDOM_SHARE = 0.85


def _behaviour(rng: random.Random):
    def policy(env: TextEnv, history: History) -> str:
        if rng.random() < RANDOM_SHARE:
            return rng.choice(MOVES)
        return solver_policy(env, history)

    return policy


BEHAVIOUR_RECIPE = {
    "maze_fo": "85% random moves, 15% shortest-path solver",
    "maze_po": "85% random moves, 15% shortest-path solver (which sees the true position)",
}
for _task, _recipe in BEHAVIOUR_RECIPE.items():
    behaviour(_task, _recipe)(_behaviour)


def measure_normalisation(n: int = 1000, seed: int = 0) -> dict[str, Normalisation]:
    """Recompute NORMALISATION_MEASURED (see the module docstring)."""
    fo_max = sum(optimal_return(c) for c in START_CELLS) / len(START_CELLS)
    best = {"maze_fo": fo_max, "maze_po": po_optimal_return()}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("maze_fo", "maze_po"):
            avg = generate(task, n, seed, Path(tmp) / f"{task}.jsonl")["mean_return"]
            out[task] = Normalisation(-float(MAX_STEPS), round(avg, 3), round(best[task], 3), "measured")
    return out


if __name__ == "__main__":
    for task, norm in measure_normalisation().items():
        print(f"{task}: min {norm.min:g}, avg {norm.avg:g}, max {norm.max:g}")
