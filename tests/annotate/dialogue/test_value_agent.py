"""An RL checkpoint with value heads (ILQL) plays in the dialogue interface the way it was evaluated:
the worker's LMPolicy decodes with logits + beta * (min Q - V)."""

import pytest

from annotate.dialogue import services
from evalhub.models import ModelCheckpoint
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ilql_checkpoint(tmp_path):
    from ml.rl.envs.datasets import generate
    from ml.rl.trainer import RLConfig, train

    data = tmp_path / "20q.jsonl"
    generate("twenty_questions", 8, 0, data)
    cfg = RLConfig(
        task="twenty_questions",
        algorithm="ilql",
        dataset=str(data),
        n_layer=1,
        n_embd=32,
        n_head=2,
        block_size=160,
        batch_size=4,
        steps=3,
        tokenizer="char",
        device="cpu",
        options={"beta": 8.0},
    )
    outcome = train(cfg, tmp_path / "ilql")
    return ModelCheckpoint.objects.create(name="tiny-ilql", kind="agent", path=str(outcome.checkpoint))


def test_an_ilql_agent_asks_with_its_value_heads(
    ilql_checkpoint, monkeypatch, django_capture_on_commit_callbacks
):
    from annotate.dialogue import tasks
    from ml.lm.generate import next_line
    from ml.lm.loading import load_model
    from ml.rl.algos.value_heads import load_heads
    from ml.rl.policies import history_text

    sent = []
    monkeypatch.setattr(tasks.agent_move, "apply_async", lambda args, queue: sent.append((args, queue)))
    partner = {"kind": "checkpoint", "checkpoint_id": ilql_checkpoint.pk}
    with django_capture_on_commit_callbacks(execute=True):
        game = services.start_game(
            UserFactory(), "twenty_questions", human_role="counterpart", partner=partner, seed=1
        )
    assert game.status == "thinking" and sent == [([game.pk, len(game.turns)], "gpu")]
    history = [t["text"] for t in game.turns]
    assert tasks.agent_move(game.pk, len(game.turns)) == "moved"
    game.refresh_from_db()
    question = game.turns[len(history)]
    assert question["is_action"] and question["by"] == "agent"

    model, tokenizer = load_model(ilql_checkpoint.path, device="cpu")
    heads = load_heads(ilql_checkpoint.path)
    prompt = history_text(type("T", (), {"text": t})() for t in history)
    expected = next_line(model, tokenizer, prompt, 48, 0.0, len(history), guide=heads.guide(8.0))
    assert question["text"] == expected + "\n"
    # The heads change the move here, so the check above tells guided from plain decoding.
    assert next_line(model, tokenizer, prompt, 48, 0.0, len(history)) != expected
