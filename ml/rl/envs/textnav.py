"""Text-Nav on our own house: `textnav_fo` (fully observed) and `textnav_po` (partially observed).

Nine rooms joined by ten doors. The task: take the stale food from the living-room table and put it in
the kitchen fridge (reward 1, the game ends); every other step pays 0; at most 50 actions.

The seed draws the start room (any room), which doors start closed (each with probability 1/2), which
cupboards and drawers start closed (each with probability 1/2; the fridge always starts closed), and 4
to 7 distractor objects placed anywhere (one of them may be "fresh food"). The stale food always starts
on the living-room table.

Commands (case, extra whitespace, "the" and a final full stop are ignored):

    look | inventory | go to <room> | open door to <room> | close door to <room>
    open <container> | close <container> | take <object> from <place> | put <object> in|on <place>

Places are the tables, shelves and containers of the room you are in. A command that cannot be parsed
gets "I don't understand ..." with the list of commands; one that cannot be done here gets a reply saying
why ("You can't ...", "The fridge is already open."). Both cost a step and change nothing.

Observations. Fully observed: every reply is followed by your room (its places, what lies in the open
ones, its doors) and your inventory. Partially observed: the reply alone; the room is described when you
enter it or `look`, the inventory when you ask.

Normalisation: the paper's (0, 0.26, 1), and ours (used): 0 and 1 are the worst and best returns, the
middle is the success rate of `datasets.generate(task, n=1000, seed=0)` with the behaviour policy below
(20% solver commands, 80% uniformly random legal commands; 30% solver would succeed 64% of the
time, too strong a dataset next to the paper's 26%). Measured with `python -m ml.rl.envs.textnav`:

    textnav_fo: min 0, avg 0.242, max 1
    textnav_po: min 0, avg 0.242, max 1

(They agree because policy, seeds and rules are the same; the variants differ only in what they show.)
"""

from __future__ import annotations

import random
import tempfile
from collections import deque
from pathlib import Path
from typing import Any, NamedTuple

from ml.rl.envs.base import EnvError, History, Normalisation, StepResult, TextEnv, register_task
from ml.rl.envs.datasets import behaviour, generate

ROOMS = (
    "living room",
    "kitchen",
    "hallway",
    "dining room",
    "bedroom",
    "bathroom",
    "study",
    "garage",
    "pantry",
)
DOORS = (
    ("living room", "hallway"),
    ("living room", "study"),
    ("hallway", "dining room"),
    ("dining room", "kitchen"),
    ("hallway", "bedroom"),
    ("hallway", "bathroom"),
    ("study", "bedroom"),
    ("hallway", "garage"),
    ("garage", "kitchen"),
    ("kitchen", "pantry"),
)
# Each room's places: name -> True for a container (opens and closes), False for a surface (always open).
PLACES: dict[str, dict[str, bool]] = {
    "living room": {"table": False, "sofa": False, "cabinet": True},
    "kitchen": {"fridge": True, "cupboard": True, "counter": False},
    "hallway": {"shoe rack": False},
    "dining room": {"table": False, "sideboard": True},
    "bedroom": {"wardrobe": True, "nightstand": False},
    "bathroom": {"medicine cabinet": True, "sink": False},
    "study": {"desk": False, "drawer": True},
    "garage": {"toolbox": True, "shelf": False},
    "pantry": {"rack": False, "bin": True},
}
TARGET = "stale food"
TARGET_START = ("living room", "table")
TARGET_END = ("kitchen", "fridge")
DISTRACTORS = (
    "fresh food",
    "apple",
    "bread",
    "milk",
    "keys",
    "book",
    "towel",
    "mug",
    "remote",
    "soap",
    "hammer",
    "candle",
    "socks",
    "cheese",
)
MAX_STEPS = 50
TASK_TEXT = (
    "Your task: take the stale food from the table in the living room and put it in the fridge in the "
    "kitchen."
)
COMMANDS_HINT = (
    "Commands: look, inventory, go to <room>, open door to <room>, close door to <room>, open <container>, "
    "close <container>, take <object> from <place>, put <object> in <place>."
)

NORMALISATION_PAPER = Normalisation(0.0, 0.26, 1.0)
NORMALISATION_MEASURED = Normalisation(0.0, 0.242, 1.0, source="measured")

Place = tuple[str, str]  # (room, place name)


class Reply(NamedTuple):
    text: str
    show_room: bool = False  # PO describes the room after these replies (FO always does)
    show_inventory: bool = False
    success: bool = False


ADJACENT: dict[str, tuple[str, ...]] = {
    room: tuple(b if a == room else a for a, b in DOORS if room in (a, b)) for room in ROOMS
}


def _first_steps() -> dict[tuple[str, str], str]:
    """(from, to) -> the first room on a shortest route, ignoring door states (any door can be opened)."""
    first = {}
    for target in ROOMS:
        # BFS out from the target: the room each room was reached from is its next step toward it.
        toward = {target: target}
        queue = deque([target])
        while queue:
            room = queue.popleft()
            for nxt in ADJACENT[room]:
                if nxt not in toward:
                    toward[nxt] = room
                    queue.append(nxt)
        first.update({(room, target): step for room, step in toward.items()})
    return first


FIRST_STEP = _first_steps()


def _door(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def _listing(items: list[str]) -> str:
    if not items:
        return "nothing"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def normalise_command(text: str) -> str:
    words = text.lower().split()
    if words and words[-1].endswith((".", "!")):
        words[-1] = words[-1].rstrip(".!")
    return " ".join(w for w in words if w and w != "the")


class TextNav(TextEnv):
    """Set `fully_observed` to choose the variant; TextNavFO and TextNavPO are the registered tasks."""

    max_steps = MAX_STEPS
    fully_observed = True

    def __init__(self) -> None:
        super().__init__()
        self.room = TARGET_START[0]
        self.door_open: dict[frozenset[str], bool] = {}
        self.place_open: dict[Place, bool] = {}
        self.contents: dict[Place, list[str]] = {}
        self.inventory: list[str] = []

    # --- game state

    def _reset(self) -> str:
        rng = self.rng
        self.room = rng.choice(ROOMS)
        self.door_open = {_door(a, b): rng.random() < 0.5 for a, b in DOORS}
        self.place_open = {
            (room, name): not container or rng.random() < 0.5
            for room, places in PLACES.items()
            for name, container in places.items()
        }
        self.place_open[TARGET_END] = False
        self.contents = {place: [] for place in self.place_open}
        self.contents[TARGET_START].append(TARGET)
        places = list(self.contents)
        for item in rng.sample(DISTRACTORS, rng.randint(4, 7)):
            self.contents[rng.choice(places)].append(item)
        self.inventory = []
        return self._observe(Reply(TASK_TEXT, show_room=True))

    def describe_room(self) -> str:
        parts = []
        for name, container in PLACES[self.room].items():
            place = (self.room, name)
            if container and not self.place_open[place]:
                parts.append(f"a {name} (closed)")
            else:
                inside = _listing(self.contents[place])
                parts.append(f"a {name} (open: {inside})" if container else f"a {name} (on it: {inside})")
        doors = [
            f"{'open' if self.door_open[_door(self.room, n)] else 'closed'} to the {n}"
            for n in ADJACENT[self.room]
        ]
        return f"You are in the {self.room}. You see {_listing(parts)}. Doors: {'; '.join(doors)}."

    def describe_inventory(self) -> str:
        return f"You are carrying {_listing(self.inventory)}."

    def _observe(self, reply: Reply) -> str:
        """FO shows the whole state after every reply; PO only what the reply asks for."""
        parts = [reply.text]
        if self.fully_observed or reply.show_room:
            parts.append(self.describe_room())
        if self.fully_observed or reply.show_inventory:
            parts.append(self.describe_inventory())
        return " ".join(p for p in parts if p)

    def find(self, item: str) -> Place | None:
        """Where `item` lies, or None when it is carried (or not in the house)."""
        for place, items in self.contents.items():
            if item in items:
                return place
        return None

    # --- commands

    def _step(self, action: str) -> StepResult:
        reply = self._command(normalise_command(action))
        if reply.success:
            return StepResult(reply.text, 1.0, True, {"success": True})
        return StepResult(self._observe(reply), 0.0, False)

    def _command(self, command: str) -> Reply:
        if command == "look":
            return Reply("", show_room=True)
        if command in ("inventory", "i"):
            return Reply("", show_inventory=True)
        if command.startswith("go to "):
            return self._go(command[len("go to ") :])
        for verb in ("open", "close"):
            if command.startswith(f"{verb} door to "):
                return Reply(self._door_command(verb, command[len(f"{verb} door to ") :]))
            if command.startswith(f"{verb} "):
                return Reply(self._container_command(verb, command[len(verb) + 1 :]))
        if command.startswith("take "):
            item, sep, name = command[len("take ") :].partition(" from ")
            if not sep:
                return Reply("Take it from where? Say take <object> from <place>.")
            return Reply(self._take(item, name))
        if command.startswith("put "):
            rest = command[len("put ") :]
            for word in (" in ", " on "):
                item, sep, name = rest.partition(word)
                if sep:
                    return self._put(item, name)
            return Reply("Put it where? Say put <object> in <place>.")
        return Reply(f"I don't understand that. {COMMANDS_HINT}")

    def _go(self, room: str) -> Reply:
        if room == self.room:
            return Reply(f"You are already in the {room}.")
        if room not in ROOMS:
            return Reply(f"You can't go there: there is no room called {room!r}.")
        if room not in ADJACENT[self.room]:
            return Reply(f"You can't go to the {room} from here: no door leads there.")
        if not self.door_open[_door(self.room, room)]:
            return Reply(f"You can't go to the {room}: the door is closed.")
        self.room = room
        return Reply("", show_room=True)  # the description opens "You are in the ..."

    def _door_command(self, verb: str, room: str) -> str:
        if room not in ADJACENT[self.room]:
            return f"You can't {verb} that: there is no door to the {room} here."
        door = _door(self.room, room)
        if self.door_open[door] == (verb == "open"):
            return f"The door to the {room} is already {'open' if verb == 'open' else 'closed'}."
        self.door_open[door] = verb == "open"
        return f"You {verb} the door to the {room}."

    def _place(self, name: str) -> tuple[Place | None, str]:
        """The place called `name` in this room, or None and why not."""
        if name not in PLACES[self.room]:
            return None, f"You can't do that: there is no {name} in the {self.room}."
        return (self.room, name), ""

    def _container_command(self, verb: str, name: str) -> str:
        place, why = self._place(name)
        if place is None:
            return why
        if not PLACES[self.room][name]:
            return f"You can't {verb} the {name}."
        if self.place_open[place] == (verb == "open"):
            return f"The {name} is already {'open' if verb == 'open' else 'closed'}."
        self.place_open[place] = verb == "open"
        if verb == "close":
            return f"You close the {name}."
        return f"You open the {name}. Inside: {_listing(self.contents[place])}."

    def _take(self, item: str, name: str) -> str:
        place, why = self._place(name)
        if place is None:
            return why
        if not self.place_open[place]:
            return f"You can't take anything from the {name}: it is closed."
        if item not in self.contents[place]:
            return f"You can't do that: there is no {item} in the {name}."
        self.contents[place].remove(item)
        self.inventory.append(item)
        return f"You take the {item} from the {name}."

    def _put(self, item: str, name: str) -> Reply:
        place, why = self._place(name)
        if place is None:
            return Reply(why)
        if item not in self.inventory:
            return Reply(f"You can't do that: you are not carrying {item or 'that'}.")
        if not self.place_open[place]:
            return Reply(f"You can't put anything in the {name}: it is closed.")
        self.inventory.remove(item)
        self.contents[place].append(item)
        if item == TARGET and place == TARGET_END:
            return Reply(f"You put the {item} in the {name}. Task complete!", success=True)
        return Reply(f"You put the {item} {'in' if PLACES[self.room][name] else 'on'} the {name}.")

    # --- for policies and the UI

    def legal_actions(self) -> list[str]:
        """Every command that does something here (look and inventory always do)."""
        actions = ["look", "inventory"]
        for room in ADJACENT[self.room]:
            if self.door_open[_door(self.room, room)]:
                actions += [f"go to {room}", f"close door to {room}"]
            else:
                actions.append(f"open door to {room}")
        for name, container in PLACES[self.room].items():
            place = (self.room, name)
            is_open = self.place_open[place]
            if container:
                actions.append(f"close {name}" if is_open else f"open {name}")
            if is_open:
                actions += [f"take {item} from {name}" for item in self.contents[place]]
                preposition = "in" if container else "on"
                actions += [f"put {item} {preposition} {name}" for item in self.inventory]
        return actions

    def render(self) -> dict[str, Any]:
        # `visible` says whether the UI may show this whole panel; a PO player sees only the text.
        places = []
        for name, container in PLACES[self.room].items():
            place = (self.room, name)
            is_open = self.place_open[place]
            places.append(
                {
                    "name": name,
                    "container": container,
                    "open": is_open,
                    "objects": list(self.contents[place]) if is_open else None,
                }
            )
        doors = [{"to": n, "open": self.door_open[_door(self.room, n)]} for n in ADJACENT[self.room]]
        return {
            **super().render(),
            "room": self.room,
            "inventory": list(self.inventory),
            "places": places,
            "doors": doors,
            "rooms": list(ROOMS),
            "fully_observed": self.fully_observed,
            "visible": self.fully_observed or self.done,
        }


class TextNavFO(TextNav):
    name = "textnav_fo"
    normalisation = NORMALISATION_MEASURED
    fully_observed = True


class TextNavPO(TextNav):
    name = "textnav_po"
    normalisation = NORMALISATION_MEASURED
    fully_observed = False


def _factory(cls: type[TextNav]):
    def make(**options: Any) -> TextNav:
        if options:
            raise EnvError(f"{cls.name} takes no options; got {', '.join(sorted(options))}")
        return cls()

    return make


register_task("textnav_fo")(_factory(TextNavFO))
register_task("textnav_po")(_factory(TextNavPO))


# --- the solver: reads the true state, so it works from any state a random command leaves behind


def solver_action(env: TextNav) -> str:
    """The next command of a shortest plan: fetch the stale food, carry it to the kitchen, fridge it."""
    if TARGET in env.inventory:
        room, name = TARGET_END
        if env.room != room:
            return _toward(env, room)
        return f"put {TARGET} in {name}" if env.place_open[TARGET_END] else f"open {name}"
    place = env.find(TARGET)
    assert place is not None, "the stale food is neither carried nor in any place"
    room, name = place
    if env.room != room:
        return _toward(env, room)
    return f"take {TARGET} from {name}" if env.place_open[place] else f"open {name}"


def _toward(env: TextNav, room: str) -> str:
    step = FIRST_STEP[(env.room, room)]
    return f"go to {step}" if env.door_open[_door(env.room, step)] else f"open door to {step}"


def solver_policy(env: TextEnv, history: History) -> str:
    assert isinstance(env, TextNav)
    return solver_action(env)


# --- the offline data

SOLVER_SHARE = 0.2  # chosen so the dataset succeeds about as often as the paper's (0.26)


def _behaviour(rng: random.Random):
    def policy(env: TextEnv, history: History) -> str:
        assert isinstance(env, TextNav)
        if rng.random() < SOLVER_SHARE:
            return solver_action(env)
        return rng.choice(env.legal_actions())

    return policy


_RECIPE = "20% solver commands, 80% uniformly random legal commands"
behaviour("textnav_fo", _RECIPE)(_behaviour)
behaviour("textnav_po", _RECIPE)(_behaviour)


def measure_normalisation(n: int = 1000, seed: int = 0) -> dict[str, Normalisation]:
    """Recompute NORMALISATION_MEASURED (see the module docstring)."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("textnav_fo", "textnav_po"):
            rate = generate(task, n, seed, Path(tmp) / f"{task}.jsonl")["mean_return"]
            out[task] = Normalisation(0.0, round(rate, 3), 1.0, "measured")
    return out


if __name__ == "__main__":
    for task, norm in measure_normalisation().items():
        print(f"{task}: min {norm.min:g}, avg {norm.avg:g}, max {norm.max:g}")
