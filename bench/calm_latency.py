"""Reply latency of a CALM agent in the browser, with a CPU worker: a person plays the customer.

    python bench/calm_latency.py --checkpoint var/artifacts/runs/12/checkpoint
    python bench/calm_latency.py --checkpoint PATH --games 6 --port 8766

Sets up a throwaway install (SQLite and the filesystem broker under a temp folder), serves it the way
`make run` does (`manage.py serve`: gunicorn and one Celery worker), and drives headless Chromium as the
customer: it answers from the goal card, and times each reply from pressing Enter until the agent's
next line is on the page (the worker loads the model once, on its first move, which is reported apart).
Prints p50/p95 and ends with one JSON line. Asserts nothing about timings (target: p95 < 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
SETUP = """
from django.contrib.auth import get_user_model
from evalhub.models import ModelCheckpoint
get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pass-1")
print(ModelCheckpoint.objects.create(name="calm-bench", kind="agent", path={path!r}).pk)
"""


def _manage(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not come up")


def _reply(page, goal, rng) -> str:
    from ml.calm import language

    asked = page.locator(".dlg-history li.action.by-agent .text").last.inner_text()
    offer = language.read_offer(asked)
    if offer is not None:
        problems = language.offer_problems(offer, goal)
        return f"No, {problems[0]}." if problems else "Yes, please book it."
    slots = language.asked_slots(asked)
    return " ".join(language.answer(s, goal, rng) for s in slots) or "Sorry, what do you need?"


def play(page, url: str, checkpoint_id: int, seed: int) -> tuple[float, list[float]]:
    """One game as the customer: the first reply's latency (model load included) and the others."""
    from ml.calm.world import sample_context

    page.goto(f"{url}/play/")
    page.select_option("#id_task", "flight_booking")
    page.select_option("#id_role", "counterpart")
    page.select_option("#id_partner", f"checkpoint:{checkpoint_id}")
    page.fill("#id_seed", str(seed))
    started = time.perf_counter()
    with page.expect_navigation():
        page.click("#start-form button[type=submit]")
    page.wait_for_selector("#move-input, #game-result")
    first = time.perf_counter() - started
    goal, rng, latencies = sample_context(seed).goal, random.Random(seed), []
    while page.locator("#move-input").count():
        turn = int(page.locator("#game-panel").get_attribute("data-turn"))
        page.fill("#move-input", _reply(page, goal, rng))
        started = time.perf_counter()
        page.keyboard.press("Enter")
        # The person's line is in and the panel no longer waits for the model: its reply is shown (or
        # the game ended on the person's line, at the turn limit).
        page.wait_for_function(
            "t => { const p = document.getElementById('game-panel');"
            " return Number(p.dataset.turn) > t && p.dataset.status !== 'thinking'; }",
            arg=turn,
            timeout=30_000,
        )
        latencies.append(time.perf_counter() - started)
    return first, latencies


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="a CALM checkpoint directory (calm.train's)")
    p.add_argument("--games", type=int, default=6)
    p.add_argument("--port", type=int, default=8766)
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    checkpoint = str(Path(args.checkpoint).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        env.update(ASSAY_VAR_DIR=str(Path(tmp) / "var"), SECRET_KEY="bench-only", LOG_LEVEL="WARNING")
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        checkpoint_id = int(_manage(env, "shell", "-c", SETUP.format(path=checkpoint)).split()[-1])
        url = f"http://127.0.0.1:{args.port}"
        log = (Path(tmp) / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(args.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for(f"{url}/accounts/login/")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(f"{url}/accounts/login/")
                page.fill("#id_username", "bench")
                page.fill("#id_password", "bench-pass-1")
                with page.expect_navigation():
                    page.click("button[type=submit]")
                firsts, replies = [], []
                for game in range(args.games):
                    first, latencies = play(page, url, checkpoint_id, 1_000_000_000 + game)
                    firsts.append(first)
                    replies += latencies
                browser.close()
        except Exception:
            print((Path(tmp) / "serve.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
            log.close()
    ordered = sorted(replies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"first move of the first game (worker loads the model): {firsts[0]:.2f} s")
    print(f"first move of later games: median {statistics.median(firsts[1:] or firsts):.2f} s")
    print(
        f"replies: {len(replies)} over {args.games} games; p50 {statistics.median(replies):.3f} s, p95 {p95:.3f} s"
    )
    print(
        json.dumps(
            {
                "replies": len(replies),
                "p50_s": round(statistics.median(replies), 3),
                "p95_s": round(p95, 3),
                "first_move_cold_s": round(firsts[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
