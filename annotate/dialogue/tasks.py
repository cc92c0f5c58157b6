"""The checkpoint partner's move as a Celery task (imported by annotate/dialogue/interface.py, which the
app loads at start-up, so workers register it too)."""

from celery import shared_task
from django.db import OperationalError

from annotate.dialogue import services


@shared_task(name="dialogue.agent_move", acks_late=True, autoretry_for=(OperationalError,), max_retries=3)
def agent_move(game_id: int, turn_index: int) -> str:
    return services.agent_move(game_id, turn_index)
