"""Two dialogue demo studies: ten Wordle games to play, and ten Twenty Questions games where you answer
a scripted questioner (you play the oracle). Each item is one seed, so every annotator of an item plays
the same game."""

from annotate.models import Item
from webapp.demo import demo_study

N_GAMES = 10


def _seeds(study) -> None:
    Item.objects.bulk_create(
        Item(study=study, external_id=f"seed-{seed}", payload={"seed": seed}) for seed in range(N_GAMES)
    )


@demo_study(
    "Dialogue demo: Wordle",
    "dialogue",
    annotations_per_item=2,
    description="Guess the five-letter word in six tries. Type a word (s o a r e or soare) and press Enter.",
    config={"task": "wordle", "human_role": "agent", "partner": {"kind": "builtin"}, "turn_seconds": 300},
)
def build_wordle_demo(study) -> None:
    _seeds(study)


@demo_study(
    "Dialogue demo: Twenty Questions (you answer)",
    "dialogue",
    annotations_per_item=2,
    description="A scripted questioner tries to find the object shown to you. Answer each question "
    "truthfully with Yes. or No. and press Enter.",
    config={
        "task": "twenty_questions",
        "human_role": "counterpart",
        "partner": {"kind": "scripted"},
        "turn_seconds": 300,
    },
)
def build_twenty_questions_demo(study) -> None:
    _seeds(study)
