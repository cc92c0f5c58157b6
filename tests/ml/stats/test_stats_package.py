"""ml.stats runs on numpy alone: no scipy (or anything else third-party) at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ml.stats

ROOT = Path(__file__).resolve().parents[3]


def test_only_numpy_and_the_standard_library_are_imported():
    allowed = {"numpy", "ml"} | set(sys.stdlib_module_names)
    found = set()
    for path in sorted((ROOT / "ml" / "stats").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((path.name, node.module.split(".")[0]))
    assert found, "no imports found under ml/stats"
    assert sorted(f"{name} imports {module}" for name, module in found if module not in allowed) == []


def test_importing_ml_stats_loads_no_scipy():
    code = "import sys, ml.stats; assert 'scipy' not in sys.modules, sorted(sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_public_api_is_exported():
    assert sorted(ml.stats.__all__) == ml.stats.__all__
    for name in ml.stats.__all__:
        assert hasattr(ml.stats, name), name
