"""The layering rule from DESIGN.md: ml/ is framework-free research code and never imports the web stack."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"django", "celery", "rest_framework", "webapp", "annotate", "evalhub", "workers"}


def _imported_roots(path: Path) -> set[tuple[int, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def test_ml_never_imports_the_web_stack():
    files = sorted((ROOT / "ml").rglob("*.py"))
    assert files, "no Python files under ml/"
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in sorted(_imported_roots(path))
        if name in FORBIDDEN
    ]
    assert not offences, "ml/ must stay framework-free:\n" + "\n".join(offences)


def test_importing_the_experiment_registry_does_not_load_django():
    # A fresh interpreter: this test process already has Django loaded by pytest-django.
    code = "import sys, ml.experiments, ml.catalog; assert 'django' not in sys.modules, 'django was imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
