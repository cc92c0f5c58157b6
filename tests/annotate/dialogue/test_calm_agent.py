"""A CALM checkpoint in the dialogue interface: registered as a dialogue agent by the worker, played by a
person as the customer (the agent reads the hidden flight table), and refused as the customer."""

import pytest

from annotate.dialogue import services
from evalhub.models import ModelCheckpoint
from ml.calm import data
from ml.calm.train import CalmAgent, TrainSettings, train
from ml.rl.envs.base import Turn
from tests.factories import RunFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def calm_dir(tmp_path_factory):
    model, _ = train(
        data.generate(40, seed=1), TrainSettings(steps=30, batch_size=8, lr=3e-3, n_layer=1, n_embd=32)
    )
    return model.save(tmp_path_factory.mktemp("calm") / "agent", {"variant": "calm"})


def test_a_person_plays_the_customer_against_a_calm_agent(
    calm_dir, monkeypatch, django_capture_on_commit_callbacks
):
    from annotate.dialogue import tasks

    checkpoint = ModelCheckpoint.objects.create(name="calm-tiny", kind="agent", path=str(calm_dir))
    sent = []
    monkeypatch.setattr(tasks.agent_move, "apply_async", lambda args, queue: sent.append(args))
    partner = {"kind": "checkpoint", "checkpoint_id": checkpoint.pk}
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        game = services.start_game(user, "flight_booking", human_role="counterpart", partner=partner, seed=7)
    assert game.status == "thinking" and sent
    assert tasks.agent_move(game.pk, len(game.turns)) == "moved"
    game.refresh_from_db()
    move = game.turns[-1]
    assert move["by"] == "agent" and move["is_action"] or game.status == "finished"

    # The worker's move is the agent's own greedy reply given the hidden table and the opening.
    env, _ = services.build_env(game, n_actions=0)
    expected = CalmAgent.load(calm_dir)(env, [Turn(game.turns[0]["text"], False)])
    assert game.turns[1]["text"].strip() == expected.strip()
    if game.status == "active":  # the person answers; the agent moves again in the worker
        with django_capture_on_commit_callbacks(execute=True):
            game, applied = services.play(game.pk, user, "My name is Ava Adams.", len(game.turns))
        assert applied and game.turns[-1]["by"] == "human"


def test_a_calm_agent_cannot_play_the_customer(calm_dir):
    checkpoint = ModelCheckpoint.objects.create(name="calm-tiny", kind="agent", path=str(calm_dir))
    with pytest.raises(services.GameError, match="CALM agent"):
        services.start_game(
            UserFactory(), "flight_booking", partner={"kind": "checkpoint", "checkpoint_id": checkpoint.pk}
        )


def test_the_worker_registers_a_calm_checkpoint_as_a_dialogue_agent(calm_dir, settings, tmp_path):
    from ml.experiments import ArtifactOut
    from workers.execute import store_artifacts

    settings.ARTIFACT_ROOT = str(tmp_path)
    run = RunFactory(kind="calm.train")
    store_artifacts(run, [ArtifactOut(calm_dir, "checkpoint", "calm-calm")])
    registered = ModelCheckpoint.objects.get(run=run)
    assert registered.kind == ModelCheckpoint.Kind.AGENT and registered.path == str(calm_dir)


def test_load_agent_picks_the_loader_by_checkpoint(calm_dir):
    from ml.rl.policies import load_agent

    assert isinstance(load_agent(calm_dir), CalmAgent)
