"""Train a verifier from a study's judgements, in a worker: the judgements go to a JSONL file under the
artifact root and an evalhub run fits ml.describe.verifiers.TrainedVerifier on them.

Fitting embeds every text with a local encoder, which is a job for a worker, not for a web request.
"""

from __future__ import annotations

import json

from annotate.hypotheses.services import HypothesisError, upload_folder
from annotate.hypotheses.stats import training_judgments
from annotate.models import Study, log_event
from evalhub.models import Run
from evalhub.services import submit_run
from ml.experiments import ParamError

TRAIN_EXPERIMENT = "describe.train_verifier"


def start_verifier_training(owner, study: Study) -> Run:
    """Queue the training run on the study's yes/no judgements (one row per judgement, gold left out)."""
    judgments = training_judgments(study)
    labels = {label for _, _, label in judgments}
    if labels != {0, 1}:
        raise HypothesisError("Training needs both yes and no judgements; this study does not have them yet.")
    path = upload_folder() / "judgments.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for hypothesis, text, label in judgments:
            out.write(json.dumps({"hypothesis": hypothesis, "text": text, "label": label}) + "\n")
    try:
        run = submit_run(owner, TRAIN_EXPERIMENT, {"judgments": str(path)})
    except ParamError as exc:
        raise HypothesisError(f"{TRAIN_EXPERIMENT} refused the judgements: {exc}") from None
    log_event(
        "hypothesis.verifier_training", actor=owner, study=study, obj=study, run=run.pk, n=len(judgments)
    )
    return run
