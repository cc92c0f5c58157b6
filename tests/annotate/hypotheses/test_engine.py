"""The flow against the real engine: describe.run executes (in this process, as a worker would run it)
on uploaded corpora, and its report turns into a study of exactly the samples it held out."""

import pytest

from annotate.hypotheses import services
from annotate.models import Study
from evalhub.models import Run
from tests.annotate.hypotheses.conftest import page_for
from tests.annotate.hypotheses.factories import D0, D1, jsonl
from workers.execute import execute_run

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_real_run_becomes_a_study_of_its_heldout_samples(owner, settings, pretrained_models):
    # no heartbeat thread: it would write from a second thread, which in-memory SQLite cannot take
    settings.ASSAY_HEARTBEAT_S = 3600
    run = services.start_describe_run(
        owner,
        ("sports.jsonl", jsonl(D1)),
        ("calm.jsonl", jsonl(D0)),
        {
            "n_hypotheses": 4,
            "top_k": 2,
            "proposer": "discriminative",
            "verifier": "embedding",
            "encoder": str(pretrained_models / "all-minilm-l6-v2"),
        },
    )
    assert execute_run(run.pk, "test-worker") == Run.Status.SUCCEEDED, Run.objects.get(pk=run.pk).error
    run.refresh_from_db()
    report = services.run_report(run)
    assert report["rows"] and {"hypothesis", "validity", "ci_low", "ci_high", "rank"} <= set(
        report["rows"][0]
    )

    page = page_for(owner).get(f"/hypotheses/runs/{run.pk}/verify/")
    assert page.status_code == 200
    ranks = page.context["values"]["ranks"]
    r = page_for(owner).post(f"/hypotheses/runs/{run.pk}/verify/", {"rank": ranks, "samples_per_group": "3"})
    assert r.status_code == 302, r.context and r.context.get("problems")
    study = Study.objects.get(kind="hypothesis")
    d1, d0 = services.heldout_samples(run.params, report)
    assert len(d1) == report["split"]["heldout_positive"] and len(d0) == report["split"]["heldout_negative"]
    examples = {x for row in report["rows"] for x in row["examples"]}
    assert examples and examples <= set(d1) <= set(D1) and set(d0) <= set(D0)
    assert len(d1) == len(D1) // 2  # the held-out half, never the half the proposer read
    for item in study.items.filter(is_gold=False):
        assert item.payload["text"] in (d1 if item.payload["group"] == "D1" else d0)
    machine = {h["hypothesis"]: h["machine"]["validity"] for h in study.config["hypotheses"]}
    assert machine == {row["hypothesis"]: row["validity"] for row in report["rows"] if row["rank"] in ranks}
