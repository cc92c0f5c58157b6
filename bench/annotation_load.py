"""The annotation loop under load: N annotators against gunicorn, closed loop, then an integrity check.

    python bench/annotation_load.py                 # PostgreSQL (database assay_bench, recreated)
    python bench/annotation_load.py --sqlite        # embedded SQLite file under a temp dir
    python bench/annotation_load.py --k 3 --items 3000 --duration 30 --workers 5

Each simulated annotator asks for its next assignment (POST or GET /api/studies/{id}/next/) and submits
an answer (POST /api/responses/). At the end the database is checked for items answered more than k
times and for acknowledged submissions with no stored response. The last line printed is one JSON
object with the figures. Prints figures only; it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "assay_bench"
PASSWORD = "bench-password-123"


# --- database setup and checks: these run in a child process with the bench environment ---------------


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    django.setup()


def _setup(n_items: int, n_annotators: int, k: int) -> dict:
    _django()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from annotate.models import Item, Study
    from annotate.roles import make_researcher

    User = get_user_model()
    owner = User.objects.create_user("bench-owner", password=PASSWORD)
    make_researcher(owner)
    study = Study.objects.create(
        name="Load test", kind=Study.Kind.LABELS, owner=owner, annotations_per_item=k
    )
    Item.objects.bulk_create(
        Item(
            study=study,
            external_id=f"item-{i}",
            payload={"prompt": f"Question {i}?", "a": f"answer A{i}", "b": f"answer B{i}"},
        )
        for i in range(n_items)
    )
    tokens = []
    for i in range(n_annotators):
        user = User.objects.create_user(f"bench-annotator-{i}", password=PASSWORD)
        study.annotators.add(user)
        tokens.append(Token.objects.create(user=user).key)
    return {"study": study.pk, "tokens": tokens}


def _check(study_id: int, k: int, acked_file: str) -> dict:
    _django()
    from django.db.models import Count

    from annotate.models import Response

    acked = set(json.loads(Path(acked_file).read_text()))
    responses = Response.objects.filter(study_id=study_id)
    stored = set(responses.values_list("assignment_id", flat=True))
    over = (
        responses.values("item_id").annotate(n=Count("id")).filter(n__gt=k).count()
    )  # an item answered by more than k annotators
    return {
        "responses": responses.count(),
        "acknowledged": len(acked),
        "lost": len(acked - stored),
        "over_assigned": over,
        "items_done": responses.values("item_id").distinct().count(),
    }


# --- the load driver ------------------------------------------------------------------------------------


@dataclass
class Tally:
    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    acked: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _assignment_id(body: dict) -> int:
    value = body["assignment"]
    return value["id"] if isinstance(value, dict) else int(value)


def _annotator(base: str, study: int, token: str, method: str, deadline: float, tally: Tally) -> None:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    next_url = f"{base}/api/studies/{study}/next/"
    next_ms, submit_ms, acked, errors = [], [], [], Counter()
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        try:
            r = session.request(method, next_url, timeout=30)
        except requests.RequestException as exc:
            errors[type(exc).__name__] += 1
            continue
        next_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code == 204:
            break  # nothing left for this annotator
        if r.status_code != 200:
            errors[f"next {r.status_code}"] += 1
            time.sleep(0.01)  # back off a little on a busy queue instead of spinning
            continue
        assignment = _assignment_id(r.json())
        payload = {"assignment": assignment, "answer": {"choice": "a"}, "round": 0}
        t0 = time.perf_counter()
        try:
            r = session.post(f"{base}/api/responses/", json=payload, timeout=30)
        except requests.RequestException as exc:
            errors[type(exc).__name__] += 1
            continue
        submit_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code in (200, 201):
            acked.append(assignment)
        else:
            errors[f"submit {r.status_code}"] += 1
    with tally.lock:  # merge once at the end: no lock traffic in the hot loop
        tally.next_ms += next_ms
        tally.submit_ms += submit_ms
        tally.acked += acked
        tally.errors.update(errors)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


def _child(env: dict, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _recreate_pg_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def _detect_next_method(base: str, study: int, token: str) -> str:
    """The next endpoint may be POST (it changes state) or GET; ask it with OPTIONS, fall back to POST."""
    import requests

    r = requests.options(
        f"{base}/api/studies/{study}/next/", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    allow = r.headers.get("Allow", "")
    return "POST" if "POST" in allow or "GET" not in allow else "GET"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", action="store_true", help="embedded SQLite instead of PostgreSQL")
    parser.add_argument("--k", type=int, default=1, help="annotations per item")
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (at most 600)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    duration = max(1.0, min(args.duration, 600.0))

    tmp = Path(tempfile.mkdtemp(prefix="assay-bench-"))
    env = dict(os.environ)
    env.update(
        SECRET_KEY="bench-secret-key-not-for-production",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        ASSAY_VAR_DIR=str(tmp / "var"),  # keeps the bench's SQLite file and broker out of var/
        LOG_LEVEL="WARNING",
    )
    (tmp / "var" / "static").mkdir(parents=True)  # whitenoise warns per worker when STATIC_ROOT is missing
    if args.sqlite:
        backend = "sqlite"
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        backend = "postgresql"
        _recreate_pg_database()
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"

    gunicorn = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        setup = _child(env, "_setup", str(args.items), str(args.annotators), str(args.k))
        study, tokens = setup["study"], setup["tokens"]

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen(
            [
                shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn",
                "webapp.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        _wait_ready(f"{base}/healthz", gunicorn)
        method = _detect_next_method(base, study, tokens[0])

        tally = Tally()
        cpu_started = time.process_time()
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=_annotator, args=(base, study, t, method, deadline, tally), daemon=True)
            for t in tokens
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 60)  # a request may still be in flight at the deadline
        elapsed = time.monotonic() - started
        # The clients share the machine with gunicorn and the database; their CPU shows how much they took.
        client_cpu = time.process_time() - cpu_started

        acked_file = tmp / "acked.json"
        acked_file.write_text(json.dumps(tally.acked))
        check = _check_in_child(env, study, args.k, acked_file)
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()

    lost = check["lost"] + max(0, check["acknowledged"] - check["responses"])
    result = {
        "backend": backend,
        "annotators": args.annotators,
        "k": args.k,
        "workers": args.workers,
        "next_method": method,
        "duration_s": round(elapsed, 1),
        "items_done": len(tally.acked),
        "throughput_items_per_s": round(len(tally.acked) / elapsed, 1),
        "next_p50_ms": _pct(tally.next_ms, 0.50),
        "next_p95_ms": _pct(tally.next_ms, 0.95),
        "submit_p50_ms": _pct(tally.submit_ms, 0.50),
        "submit_p95_ms": _pct(tally.submit_ms, 0.95),
        "over_assigned_items": check["over_assigned"],
        "lost_responses": lost,
        "errors": dict(tally.errors),
    }
    rows = [
        ("backend", backend),
        ("gunicorn workers", args.workers),
        ("annotators / k", f"{args.annotators} / {args.k}"),
        ("elapsed", f"{elapsed:.1f} s"),
        ("load-client CPU", f"{client_cpu:.1f} s of {elapsed * (os.cpu_count() or 1):.0f} core-s"),
        ("submissions acknowledged", len(tally.acked)),
        ("responses stored", check["responses"]),
        ("distinct items answered", check["items_done"]),
        ("throughput", f"{result['throughput_items_per_s']} items/s"),
        (
            "next p50 / p95 / max",
            f"{result['next_p50_ms']} / {result['next_p95_ms']} / "
            f"{_pct(tally.next_ms, 1.0)} ms  (n={len(tally.next_ms)})",
        ),
        (
            "submit p50 / p95 / max",
            f"{result['submit_p50_ms']} / {result['submit_p95_ms']} / "
            f"{_pct(tally.submit_ms, 1.0)} ms  (n={len(tally.submit_ms)})",
        ),
        ("mean next / submit", f"{_mean(tally.next_ms)} / {_mean(tally.submit_ms)} ms"),
        ("over-assigned items", check["over_assigned"]),
        ("lost responses", lost),
        ("errors", dict(tally.errors) or "none"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _check_in_child(env: dict, study: int, k: int, acked_file: Path) -> dict:
    return _child(env, "_check", str(study), str(k), str(acked_file))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        print(json.dumps(_setup(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_check":
        print(json.dumps(_check(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
    else:
        main()
