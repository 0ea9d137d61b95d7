"""Run from a source checkout, ``llmops`` maps the four sibling folders and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAPPED = ("tracing", "eval", "guardrails", "serving")
UNMAPPED = ("tests", "scripts", "benchmarks", "notebooks", "examples")

# `python -c` puts the working directory first on sys.path, ahead of the installed package (the
# editable install's path comes from a .pth file after it): in the repository root, `import
# llmops` loads the checkout's llmops/, which has no tracing/ of its own. The child reports
# where things came from, so the test fails if it ever measured the installed package instead.
PROBE = """
import importlib, json, sys
import llmops, llmops.tracing.semconv
mapped, unmapped = sys.argv[1].split(","), sys.argv[2].split(",")
missing = {}
for name in unmapped:
    try:
        importlib.import_module("llmops." + name)
    except ModuleNotFoundError as exc:
        missing[name] = exc.name
print(json.dumps({
    "llmops": llmops.__file__,
    "path": list(llmops.__path__),
    "mapped": {name: importlib.import_module("llmops." + name).__file__ for name in mapped},
    "semconv": llmops.tracing.semconv.__file__,
    "missing": missing,
}))
"""


def _probe() -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONSAFEPATH", "PYTHONPATH"}}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(MAPPED), ",".join(UNMAPPED)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_a_checkout_imports_the_mapped_folders_and_nothing_else() -> None:
    found = _probe()
    assert found["llmops"] == str(REPO / "llmops" / "__init__.py")
    assert found["path"] == [str(REPO / "llmops")]
    assert found["mapped"] == {name: str(REPO / name / "__init__.py") for name in MAPPED}
    assert found["semconv"] == str(REPO / "tracing" / "semconv.py")
    assert found["missing"] == {name: f"llmops.{name}" for name in UNMAPPED}
