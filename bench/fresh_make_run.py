"""Wall time of a fresh `make run` until the first page answers.

Clones the committed tree into a temporary folder (no venv, no var/), runs `make run` there on a free
port, and polls the login page. Prints the figures and, last, one JSON line. Everything it started is
stopped at the end.

    python bench/fresh_make_run.py [--timeout 1800] [--keep]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="Keep the clone for inspection.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="assay-fresh-"))
    clone = workdir / "assay"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DATABASE_URL", "CELERY_BROKER_URL")
    }
    log = (workdir / "make-run.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/accounts/login/"
    first_page_s = None
    try:
        while time.monotonic() - started < args.timeout and proc.poll() is None:
            if answers(url):
                first_page_s = time.monotonic() - started
                break
            time.sleep(1)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass  # make already exited (it failed: see the log)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "first_page_s": round(first_page_s, 1) if first_page_s else None,
        "log": str(workdir / "make-run.log"),
    }
    print(f"fresh `make run` until the login page answers: {result['first_page_s']} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
