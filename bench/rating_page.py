"""Server time of the blind rating page, in-process with Django's test client.

    python bench/rating_page.py                 # SQLite (a throwaway test database)
    python bench/rating_page.py --postgres      # PostgreSQL: DATABASE_URL, else assay_rating on localhost
    python bench/rating_page.py --pairs 500 --answers 300

Builds a rating study of --pairs pairs (k=1), then one rater repeatedly loads the page (GET) and answers
through htmx (POST: record the answer, claim and render the next pair). Prints p50/p95 per request
kind, then the researcher's statistics time, and ends with one JSON line. Asserts nothing about timings
(target: p95 < 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/assay_rating"


def _outputs(n_pairs: int) -> str:
    # Three models per prompt, reference pairs only: two pairs per prompt.
    lines = []
    for p in range((n_pairs + 1) // 2):
        for m in ("reference", "imitation-small", "imitation-large"):
            text = f"Answer to question {p} from a model. " * 8
            lines.append(
                json.dumps({"prompt_id": f"p{p}", "prompt": f"Question {p}?", "model": m, "output": text})
            )
    return "\n".join(lines)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=500)
    p.add_argument("--answers", type=int, default=300)
    p.add_argument("--postgres", action="store_true")
    args = p.parse_args()
    if args.postgres:
        os.environ.setdefault("DATABASE_URL", PG_DEFAULT)
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    os.environ["ASSAY_TESTING"] = "1"  # plain static storage: no collectstatic manifest needed
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        figures = _run(args, Client)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"{'request':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("get", "post"):
        f = figures[name]
        print(f"{name:<10} {f['n']:>5} {f['p50_ms']:>8} {f['p95_ms']:>8}")
    print(f"stats over {figures['responses']} responses: {figures['stats_ms']} ms")
    print(json.dumps(figures))


def _run(args, Client) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection

    from annotate.rating import services, stats
    from annotate.roles import make_researcher

    User = get_user_model()
    owner = User.objects.create_user("bench-owner")
    make_researcher(owner)
    rater = User.objects.create_user("bench-rater")
    study = services.create_rating_study(
        owner, "Rating bench", _outputs(args.pairs), config={"reference": "reference"}, annotations_per_item=1
    )
    study.annotators.add(rater)
    client = Client()
    client.force_login(rater)
    url = f"/studies/{study.pk}/annotate/"
    times: dict[str, list[float]] = {"get": [], "post": []}
    n = min(args.answers, study.items.count())
    for k in range(n):
        start = time.perf_counter()
        page = client.get(url)
        times["get"].append((time.perf_counter() - start) * 1000)
        assignment = page.content.split(b'name="assignment" value="')[1].split(b'"')[0].decode()
        start = time.perf_counter()
        answered = client.post(
            url,
            {"assignment": assignment, "choice": ("left", "right", "tie")[k % 3], "active_time_ms": "4000"},
            headers={"HX-Request": "true"},
        )
        times["post"].append((time.perf_counter() - start) * 1000)
        assert answered.status_code == 200 and b'role="alert"' not in answered.content, answered.content[:500]
    cache.clear()
    start = time.perf_counter()
    stats.study_stats(study)
    stats_ms = round((time.perf_counter() - start) * 1000, 1)
    out = {
        "database": connection.vendor,
        "pairs": study.items.count(),
        "responses": n,
        "stats_ms": stats_ms,
        "target_p95_ms": 50,
    }
    for name, values in times.items():
        out[name] = {
            "n": len(values),
            "p50_ms": _pct(values, 0.5),
            "p95_ms": _pct(values, 0.95),
            "mean_ms": round(statistics.fmean(values), 2),
        }
    return out


if __name__ == "__main__":
    main()
