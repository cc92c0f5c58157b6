"""Play pages: the task list with a start form, a game (htmx moves, polling while the model thinks), the
replay of a game, a JSONL export, and the "dialogue" study interface. Thin: parse, check, call services."""

import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from annotate import queue
from annotate.models import Study
from annotate.roles import managed_studies

from . import services
from .models import Game

GAME_TEMPLATE = "annotate/dialogue/game.html"


@login_required
@require_http_methods(["GET", "POST"])
def play_index(request: HttpRequest) -> HttpResponse:
    """The tasks, a form to start a game, and the player's recent games."""
    error = None
    values = {
        "task": "wordle",
        "human_role": "agent",
        "partner": "",
        "seed": "",
        "colour": "white",
        "elo": "",
    }
    if request.method == "POST":
        values = {**values, **request.POST.dict()}
        try:
            game = services.start_game(
                request.user,
                values["task"],
                _chess_options(values) if values["task"] == "chess" else {},
                _partner_from_form(values["partner"]),
                values["human_role"],
                seed=_seed(values["seed"]),
            )
        except services.GameError as exc:
            error = str(exc)
        else:
            return redirect("dialogue-game", game.pk)
    context = {
        "tasks": services.task_catalog(),
        "checkpoints": services.playable_checkpoints(),
        "games": services.visible_games(request.user).filter(player=request.user)[:20],
        "values": values,
        "error": error,
    }
    return render(request, "annotate/dialogue/index.html", context, status=400 if error else 200)


def _partner_from_form(raw: str) -> dict:
    # "" (the role's default), "builtin", "scripted" or "checkpoint:<id>"
    if not raw:
        return {}
    if raw.startswith("checkpoint:"):
        return {"kind": "checkpoint", "checkpoint_id": raw.split(":", 1)[1]}
    return {"kind": raw}


def _chess_options(values: dict) -> dict:
    """The side the person plays, and the engine's strength: full (the paper's) or an Elo from 1350."""
    options = {"colour": values.get("colour") or "white"}
    elo = (values.get("elo") or "").strip()
    if elo:
        try:
            options.update(mode="elo", elo=int(elo))
        except ValueError:
            raise services.GameError("The opponent's Elo is a whole number (or leave it empty).") from None
    return options


def _seed(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise services.GameError("The seed is a whole number (or leave it empty).") from None


def _visible_game(request: HttpRequest, pk: int) -> Game:
    return get_object_or_404(services.visible_games(request.user).select_related("player", "study"), pk=pk)


def game_context(game: Game, error: str | None = None, user=None) -> dict:
    env, waiting = services.build_env(game)
    state = env.render()
    context = {
        "game": game,
        **state_context(game, state, user),
        "legal": [] if game.is_over or game.human_role != Game.Role.AGENT else services.legal_hint(env),
        "deadline": services.deadline(game),
        "yours": user is not None and game.player_id == user.pk,
        "your_turn": game.status == Game.Status.ACTIVE,
        "score": services.normalised_score(game) if game.is_over else None,
        "secret": getattr(env, "secret", None) if game.human_role == Game.Role.COUNTERPART else None,
        "error": error,
        "next_url": reverse("study-annotate", args=[game.study_id]) if game.assignment_id else None,
    }
    env.close()
    return context


def state_context(game: Game, state: dict, user=None) -> dict:
    """What the state panel draws from env.render(), less what the viewer may not see (the agent's
    side, to a person playing the counterpart)."""
    state = services.visible_state(game, state, user)
    return {
        "state": state,
        "svg": _chess_svg(game, state),
        "grid": _maze_grid(state),
        "keyboard_rows": _keyboard(state),
        "tables": _tables(state),
        "plain_state": _plain_state(state),
    }


def _is_table(value) -> bool:
    # A value rendered as {"columns": [...], "rows": [[...], ...]} (the flight table) is drawn as a table.
    return (
        isinstance(value, dict)
        and isinstance(value.get("columns"), list)
        and isinstance(value.get("rows"), list)
        and all(isinstance(row, list) for row in value["rows"])
    )


def _tables(state: dict) -> list[dict]:
    return [
        {"caption": key.replace("_", " "), "columns": value["columns"], "rows": value["rows"]}
        for key, value in state.items()
        if _is_table(value)
    ]


KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard(state: dict) -> list[list[dict]] | None:
    marks = state.get("keyboard")
    if not isinstance(marks, dict):
        return None
    return [[{"letter": k, "colour": marks.get(k, "")} for k in row] for row in KEYBOARD]


def _chess_svg(game: Game, state: dict) -> str | None:
    # The board SVG is drawn server-side by python-chess from the replayed position, never from user
    # text, so only the chess task's own render() output is trusted as markup.
    svg = state.get("svg")
    if game.task in ("chess", "endgames") and isinstance(svg, str) and svg.startswith("<svg"):
        return svg
    return None


def _maze_grid(state: dict) -> list[list[dict]] | None:
    grid = state.get("grid")
    if not isinstance(grid, list) or not grid or not all(isinstance(row, str) for row in grid):
        return None
    visible = state.get("visible", True)
    position, goal = list(state.get("position") or []), list(state.get("goal") or [])
    rows = []
    for r, row in enumerate(grid):
        cells = []
        for c, char in enumerate(row):
            here = visible and [r, c] == position
            cells.append({"wall": char not in " .", "here": here, "goal": visible and [r, c] == goal})
        rows.append(cells)
    return rows


HIDDEN_KEYS = {"svg", "grid", "guesses", "keyboard", "task", "done", "agent_only"}


def _plain_state(state: dict) -> list[tuple[str, str]]:
    out = []
    for key, value in state.items():
        if key in HIDDEN_KEYS or _is_table(value):  # tables are drawn on their own
            continue
        out.append((key.replace("_", " "), value if isinstance(value, str) else json.dumps(value)))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def game_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the game (htmx: just the panel, which the page polls while the model thinks). POST: a move,
    with the turn index it was made at; htmx swaps the panel."""
    game = services.expire_if_late(_visible_game(request, pk))
    error, status = None, 200
    if request.method == "POST":
        try:
            game, _ = services.play(
                game.pk, request.user, request.POST.get("text", ""), request.POST.get("turn")
            )
        except services.GameError as exc:
            error, status = str(exc), exc.status
            if exc.status == 404:
                raise Http404(str(exc)) from None
            game.refresh_from_db()
    try:
        context = game_context(game, error, request.user)
    except services.GameError as exc:
        return render(request, "annotate/dialogue/broken.html", {"game": game, "error": str(exc)}, status=409)
    if request.htmx:
        # htmx swaps only 2xx: a refused move is shown inside the panel.
        return render(request, f"{GAME_TEMPLATE}#panel", context)
    return render(request, GAME_TEMPLATE, context, status=status)


@login_required
def replay_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A game turn by turn: ?step=N shows the state after the N-th action."""
    game = _visible_game(request, pk)
    n_actions = sum(1 for t in game.turns if t["is_action"])
    try:
        step = max(0, min(int(request.GET.get("step", n_actions)), n_actions))
    except ValueError:
        step = n_actions
    try:
        env, _ = services.build_env(game, n_actions=step)
    except services.GameError as exc:
        return render(request, "annotate/dialogue/broken.html", {"game": game, "error": str(exc)}, status=409)
    state = env.render()
    env.close()
    shown, seen = [], 0
    for turn in game.turns:
        if turn["is_action"]:
            seen += 1
            if seen > step:
                break
        shown.append(turn)
    context = {
        "game": game,
        # The player who was the customer still never sees the table; the study's owner sees it all.
        **state_context(game, state, request.user),
        "turns": shown,
        "step": step,
        "n_actions": n_actions,
        "previous": step - 1 if step > 0 else None,
        "next": step + 1 if step < n_actions else None,
        "players": services.player_names(game),
    }
    return render(request, "annotate/dialogue/replay.html", context)


@login_required
def export_jsonl(request: HttpRequest) -> HttpResponse:
    """Trajectory JSONL of a study's games (?study=ID; its owner or an admin) or of your own games."""
    raw = request.GET.get("study")
    if raw:
        try:
            study = get_object_or_404(managed_studies(request.user), pk=int(raw))
        except ValueError:
            raise Http404 from None
        games, extra, name = Game.objects.filter(study=study), {"study": study.pk}, f"study-{study.pk}"
    else:
        games, extra, name = Game.objects.filter(player=request.user), {"player": request.user.pk}, "my"
    body = services.games_jsonl(games.select_related("player").order_by("id"), **extra)
    response = HttpResponse(body, content_type="application/x-ndjson")
    response["Content-Disposition"] = f'attachment; filename="{name}-games.jsonl"'
    return response


# ----- the "dialogue" study interface


def annotate_page(request: HttpRequest, study: Study) -> HttpResponse:
    """Start or resume the game of the annotator's current assignment; the game page links back here
    for the next one when it ends."""
    try:
        assignment = queue.next_assignment(study, request.user) if study.is_active else None
    except queue.QueueError as exc:
        return render(request, "annotate/dialogue/study_end.html", {"study": study, "error": str(exc)})
    if assignment is None:
        return render(request, "annotate/dialogue/study_end.html", {"study": study})
    game = Game.objects.filter(assignment=assignment).first()
    if game is None:
        try:
            game = services.start_study_game(study, assignment)
        except services.GameError as exc:
            context = {"study": study, "error": f"This study's game cannot start: {exc}"}
            return render(request, "annotate/dialogue/study_end.html", context, status=400)
    return redirect("dialogue-game", game.pk)
