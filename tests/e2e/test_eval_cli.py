"""``llmops eval`` as CI runs it: exit codes, JUnit and Markdown files, and the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

LLMOPS = str(Path(sys.executable).with_name("llmops"))
PYTEST = str(Path(sys.executable).with_name("pytest"))

AGENT = """
import llmops

@llmops.agent(name="faq-bot")
def answer(question, context):
    if question == "explode":
        raise RuntimeError("the agent exploded")
    return context.split(".")[0] + "."

def wrong(question, context):
    return "no idea"
"""

SUITE = """\
name: cli
target: agent:answer
metrics: [contains]
gates:
  - contains_pass_rate >= {threshold}
  - no_regression: [contains]
cases:
  - {{id: a, input: "one", context: "Alpha is first. Beta.", expected: "Alpha"}}
  - {{id: b, input: "two", context: "Beta is second.", expected: "Beta"}}
  - {{id: c, input: "three", context: "Gamma is third.", expected: "Gamma"}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "agent.py").write_text(AGENT)
    (tmp_path / "pass.yaml").write_text(SUITE.format(threshold=1.0))
    (tmp_path / "fail.yaml").write_text(
        SUITE.format(threshold=1.0).replace("agent:answer", "agent:wrong")
    )
    (tmp_path / "bad.yaml").write_text("name: bad\nmetrics: [contains]\ncases: [{input: q}]\n")
    return tmp_path


def run(project: Path, *args: str, tool: str = LLMOPS) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, LLMOPS_HOME=str(project / "home"), COLUMNS="200", PYTHONPATH=str(project)
    )
    env.pop("LLMOPS_RAISE_INTERNAL_ERRORS", None)
    return subprocess.run(
        [tool, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def test_exit_codes_reports_and_compare(project: Path) -> None:
    passed = run(
        project, "eval", "run", "pass.yaml", "--junit", "j.xml", "--markdown", "m.md", "--no-mlflow"
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    suite = ET.parse(project / "j.xml").getroot()
    cases = suite.iter("testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == 5  # three cases, two gates
    assert "contains_pass_rate >= 1.0" in (project / "m.md").read_text()

    failed = run(project, "eval", "run", "fail.yaml", "--no-mlflow", "--junit", "f.xml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "a gate failed" in failed.stdout
    failures = [
        c
        for c in ET.parse(project / "f.xml").getroot().iter("testcase")
        if c.find("failure") is not None
    ]
    assert len(failures) >= 4  # every case and the pass-rate gate

    bad = run(project, "eval", "run", "bad.yaml", "--no-mlflow")
    assert bad.returncode == 2
    assert "bad.yaml" in bad.stderr
    assert "expected: missing" in bad.stderr
    missing = run(project, "eval", "run", "pass.yaml", "--config", "nope@production", "--no-mlflow")
    assert missing.returncode == 2
    assert "nope" in missing.stderr

    listed = run(project, "eval", "list")
    ids = [line.split()[1] for line in listed.stdout.splitlines() if "completed" in line]
    assert len(ids) == 2
    compared = run(project, "eval", "compare", ids[1], ids[0])
    assert compared.returncode == 0, compared.stderr
    # Every one of the three cases failed, but three cases cannot show it: p = 2/2**3.
    assert "too few cases" in compared.stdout
    assert "exact p=0.25" in compared.stdout
    assert "Regressed cases (3)" in compared.stdout


def test_suites_run_as_pytest_tests(project: Path) -> None:
    ok = run(project, "-q", "-p", "no:cacheprovider", "--llmops-suite", "pass.yaml", tool=PYTEST)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 passed, 2 skipped" in ok.stdout or "4 passed, 1 skipped" in ok.stdout
    bad = run(project, "-q", "-p", "no:cacheprovider", "--llmops-suite", "fail.yaml", tool=PYTEST)
    assert bad.returncode == 1
    assert "case[a]" in bad.stdout
    assert "gate[0]" in bad.stdout


RESUME_AGENT = """
def answer(question, context):
    with open("calls.log", "a") as log:  # what ran, across processes
        log.write(question + "\\n")
    return {reply!r}
"""

RESUME_SUITE = """\
name: resume
target: resume_agent:answer
metrics: [contains]
gates: [contains_pass_rate >= 1.0]
cases:
  - {id: a, input: "one", context: "x.", expected: "Alpha"}
  - {id: b, input: "two", context: "y.", expected: "Alpha"}
"""

BOT = "name: bot\nmodel: {{id: m}}\nmetadata: {{variant: {variant}}}\n"


def test_resume_is_keyed_on_the_target_source_and_config_version(tmp_path: Path) -> None:
    agent = tmp_path / "resume_agent.py"
    agent.write_text(RESUME_AGENT.format(reply="Alpha"))
    (tmp_path / "resume.yaml").write_text(RESUME_SUITE)
    calls = tmp_path / "calls.log"

    def eval_run(*args: str) -> tuple[int, str, int]:
        done = run(tmp_path, "eval", "run", "resume.yaml", "--no-mlflow", "--no-progress", *args)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        return done.returncode, done.stdout, len(calls.read_text().splitlines())

    code, out, ran = eval_run()
    assert (code, ran) == (0, 2)
    assert "resumed" not in out
    code, out, ran = eval_run()
    assert (code, ran) == (0, 2)  # nothing ran again: the scores are the stored ones
    assert "2 cases, 2 resumed" in out

    # The agent's code changed (a different size, so Python recompiles it): every case runs.
    agent.write_text(RESUME_AGENT.format(reply="Beta"))
    code, out, ran = eval_run()
    assert (code, ran) == (1, 4)  # new scores: the gate fails
    assert "resumed" not in out
    code, out, ran = eval_run()  # and that run resumes in turn
    assert (code, ran) == (1, 4)
    assert "2 cases, 2 resumed" in out

    code, out, ran = eval_run("--fresh")  # nothing changed, and every case runs again
    assert (code, ran) == (1, 6)
    assert "resumed" not in out

    for variant in ("one", "two"):
        (tmp_path / f"{variant}.yaml").write_text(BOT.format(variant=variant))
        registered = run(tmp_path, "config", "register", f"{variant}.yaml", "--alias", variant)
        assert registered.returncode == 0, registered.stdout + registered.stderr
    # The same code under another config version runs again; under the same one it resumes.
    on = ("--target", "resume_agent:answer", "--config")
    assert eval_run(*on, "bot@one")[2] == 8
    assert eval_run(*on, "bot@one")[2] == 8
    assert eval_run(*on, "bot@two")[2] == 10
