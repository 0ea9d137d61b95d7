"""The README's example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_first_lines_give_the_two_commands() -> None:
    head = README.read_text().splitlines()[:10]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_decorator_example_runs(tmp_path: Path) -> None:
    example = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert example is not None
    env = dict(os.environ, LLMOPS_HOME=str(tmp_path / "home"))
    env.pop("LLMOPS_RAISE_INTERNAL_ERRORS", None)
    out = subprocess.run(
        [sys.executable, "-c", example.group(1)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "invoke_agent support-bot" in out
    assert "execute_tool search_docs" in out
    assert "chat-42" in out
