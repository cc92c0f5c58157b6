"""Train a verifier from a study's judgements: an evalhub run on a JSONL of (hypothesis, text, label)."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from annotate import queue
from annotate.hypotheses import services, training
from annotate.hypotheses.stats import training_judgments
from evalhub.models import Run
from tests.annotate.hypotheses.conftest import page_for
from tests.annotate.hypotheses.factories import DescribeRunFactory

pytestmark = pytest.mark.django_db


def answered_study(owner, annotators, answers):
    run = DescribeRunFactory(owner=owner)
    study = services.create_hypothesis_study(
        owner, run, [1], annotations_per_item=1, samples_per_group=2, n_gold=1
    )
    user = annotators[0]
    study.annotators.add(user)
    for value in answers:
        a = queue.next_assignment(study, user)
        services.answer(study, a.pk, user, value)
    return study


def test_training_writes_the_judgements_and_queues_a_run(owner, annotators):
    # Served in order: two real pairs, the gold pair (in the middle), two real pairs.
    study = answered_study(owner, annotators, ["yes", "no", "yes", "unsure", "no"])
    r = page_for(owner).post(f"/hypotheses/{study.pk}/train-verifier/")
    run = Run.objects.get(kind=training.TRAIN_EXPERIMENT)
    assert r.status_code == 302 and r["Location"] == f"/runs/{run.pk}/"
    path = Path(run.params["judgments"])
    assert path.is_relative_to(settings.ARTIFACT_ROOT)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    # What TrainedVerifier.fit takes: yes -> 1, no -> 0; unsure and the gold pair left out.
    assert [(r["hypothesis"], r["text"], r["label"]) for r in rows] == training_judgments(study)
    assert [r["label"] for r in rows] == [1, 0, 0]


def test_training_needs_both_answers(owner, annotators):
    study = answered_study(owner, annotators, ["yes", "yes"])
    r = page_for(owner).post(f"/hypotheses/{study.pk}/train-verifier/")
    assert r.status_code == 400 and "needs both yes and no" in r.content.decode()
    assert not Run.objects.filter(kind=training.TRAIN_EXPERIMENT).exists()


def test_only_the_owner_trains(owner, annotators):
    study = answered_study(owner, annotators, ["yes", "no"])
    assert page_for(annotators[0]).post(f"/hypotheses/{study.pk}/train-verifier/").status_code == 403
    assert page_for(owner).get(f"/hypotheses/{study.pk}/train-verifier/").status_code == 405
