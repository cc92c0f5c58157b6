"""A GPU-queue worker end to end: start `celery -A webapp worker -Q gpu`, submit `lm.train_tiny` through the
same service the form and the API use, wait for it, and print where and how it ran.

Run it on a machine with a GPU (embedded defaults: SQLite and the filesystem broker under a temporary
ASSAY_VAR_DIR); the last line is one JSON object.

    python bench/gpu_worker_check.py [--steps 300]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="assay-gpu-"))
    env = {**os.environ, "ASSAY_VAR_DIR": str(var), "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)

    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from annotate.roles import make_researcher
    from evalhub.models import Run
    from evalhub.services import submit_run

    log = (var / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "webapp", "worker", "-Q", "gpu", "--pool=solo", "-l", "INFO"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        user, _ = get_user_model().objects.get_or_create(username="gpu-check")
        make_researcher(user)
        started = time.monotonic()
        run = submit_run(
            user, "lm.train_tiny", {"steps": args.steps, "n_layer": 4, "n_embd": 256, "n_head": 8}
        )
        while time.monotonic() - started < args.timeout:
            run.refresh_from_db()
            if run.is_finished:
                break
            time.sleep(1)
        result = {
            "status": run.status,
            "queue": run.queue,
            "worker": run.worker,
            "device": run.metrics.get("device"),
            "val_loss": run.metrics.get("val_loss"),
            "tokens_per_s": run.metrics.get("tokens_per_s"),
            "wall_s": round(time.monotonic() - started, 1),
            "error": run.error,
            "checkpoints": list(run.checkpoints.values_list("name", flat=True)),
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    if result["status"] != Run.Status.SUCCEEDED:
        print((var / "worker.log").read_text()[-4000:])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
