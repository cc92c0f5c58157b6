"""ml.apel stays framework-free: importing every module pulls in no web or worker code."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("django", "celery", "rest_framework", "webapp", "annotate", "evalhub", "workers")


def test_no_framework_imports():
    modules = sorted(p.stem for p in (ROOT / "ml" / "apel").glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('ml.apel.' + m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(repr((bad, 'torch' in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    bad, torch_loaded = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert bad == [], f"forbidden imports: {bad}"
    assert torch_loaded is False  # torch loads only when an LM is actually sampled
