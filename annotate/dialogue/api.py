"""Dialogue REST API: start a game, read its state, move, and read its trajectory.

Permissions as on the pages: players see their own games, study owners and admins the games of their
studies, anyone else gets a 404. Only the player moves.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response as APIResponse

from annotate.dialogue import serializers as s
from annotate.dialogue import services
from annotate.dialogue.models import Game

GAME_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The game's id.")
ERRORS = {
    400: OpenApiResponse(description="A bad task, partner, option or move; `detail` says which."),
    404: OpenApiResponse(description="No such game (or not yours to see)."),
    409: OpenApiResponse(description="The game is over, thinking, or the turn is ahead of the game."),
}


def game_state(game: Game, user=None) -> dict:
    env, _ = services.build_env(game)
    # The customer (a person playing the counterpart) never gets the agent's side, such as the flight
    # table, but does get its secret (the goal card), as on the page.
    state = services.visible_state(game, env.render(), user)
    if game.human_role == Game.Role.COUNTERPART and getattr(env, "secret", None):
        state["secret"] = env.secret
    legal = (
        [] if game.is_over or game.human_role != Game.Role.AGENT else services.legal_hint(env, limit=10**6)
    )
    body = {
        "id": game.pk,
        "task": game.task,
        "human_role": game.human_role,
        "partner": game.partner,
        "seed": game.seed,
        "status": game.status,
        "turn": len(game.turns),
        "turns": [{k: t[k] for k in ("text", "is_action", "reward", "by")} for t in game.turns],
        "total_return": game.total_return,
        "normalised_score": services.normalised_score(game) if game.is_over else None,
        "error": game.error,
        "deadline": services.deadline(game),
        "legal_actions": legal,
        "state": state,
        "study": game.study_id,
    }
    body["state"].pop("svg", None)  # the board is in `fen`; the SVG is for the page
    env.close()
    return body


class GameViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"
    pagination_class = None
    parser_classes = [JSONParser, FormParser]
    serializer_class = s.GameStateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Game.objects.none()
        return services.visible_games(self.request.user)

    def _state(self, game: Game, code: int = 200, **extra) -> APIResponse:
        try:
            body = game_state(game, self.request.user)
        except services.GameError as exc:
            return APIResponse({"detail": str(exc)}, status=exc.status)
        return APIResponse({**body, **extra}, status=code)

    @extend_schema(
        summary="Start a game (playing the game, or its counterpart against a scripted agent or a checkpoint)",
        request=s.GameStartSerializer,
        responses={201: s.GameStateSerializer, **ERRORS},
    )
    def create(self, request):
        form = s.GameStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            game = services.start_game(
                request.user,
                data["task"],
                data.get("env_options") or {},
                data.get("partner"),
                data["human_role"],
                seed=data.get("seed"),
                turn_seconds=data.get("turn_seconds"),
            )
        except services.GameError as exc:
            return APIResponse({"detail": str(exc)}, status=exc.status)
        return self._state(game, status.HTTP_201_CREATED)

    @extend_schema(
        summary="A game's state", parameters=[GAME_ID], responses={200: s.GameStateSerializer, **ERRORS}
    )
    def retrieve(self, request, pk=None):
        game = services.expire_if_late(self.get_object())
        return self._state(game)

    @extend_schema(
        summary="Play a move (or, as the counterpart, a reply) at the given turn; a retry changes nothing",
        parameters=[GAME_ID],
        request=s.MoveSerializer,
        responses={200: s.MoveResultSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="move")
    def move(self, request, pk=None):
        game = self.get_object()
        form = s.MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            game, applied = services.play(
                game.pk, request.user, form.validated_data["text"], form.validated_data["turn"]
            )
        except services.GameError as exc:
            return APIResponse({"detail": str(exc)}, status=exc.status)
        return self._state(game, applied=applied)

    @extend_schema(
        summary="The game as a trajectory (the JSONL line format trainers read)",
        parameters=[GAME_ID],
        responses={200: s.TrajectorySerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="trajectory")
    def trajectory(self, request, pk=None):
        return APIResponse(services.game_trajectory(self.get_object()).to_json())


def register(router) -> None:
    router.register("dialogue/games", GameViewSet, basename="api-dialogue-game")
