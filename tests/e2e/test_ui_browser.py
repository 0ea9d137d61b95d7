"""``llmops ui`` as users run it: a real server process, driven by headless Chromium."""

from __future__ import annotations

import importlib.util
import os
import re
import select
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
LLMOPS = str(Path(sys.executable).with_name("llmops"))
HAS_MLFLOW = importlib.util.find_spec("mlflow") is not None

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)

# Traces from the real decorators in a separate process, and (with MLflow) two config versions.
SEED = textwrap.dedent(
    """
    import sys
    import llmops
    from llmops._agentconfig import AgentConfig

    config = AgentConfig(name="e2e-bot", model={"id": "tiny"}, metadata={"retrieval_k": 2})

    @llmops.tool(name="search")
    def search(query: str) -> list[str]:
        return [f"doc for {query}"]

    @llmops.llm(model="tiny", provider="local")
    def chat(messages: list) -> dict:
        llmops.current_span().set_usage(input_tokens=7, output_tokens=3)
        answer = {"role": "assistant", "content": "a grounded answer"}
        return {"choices": [{"finish_reason": "stop", "message": answer}]}

    @llmops.agent(name="e2e-bot")
    def bot(question: str) -> str:
        reply = chat([{"role": "user", "content": " ".join(search(question))}])
        return reply["choices"][0]["message"]["content"]

    with llmops.session("e2e-session"), llmops.use_config(config):
        bot("first question")
        bot("second question")
    llmops.flush()
    if sys.argv[1] == "register":
        from llmops._registry import ConfigRegistry

        registry = ConfigRegistry()
        registry.register(config, aliases=("production",))
        candidate = AgentConfig(name="e2e-bot", model={"id": "tiny"}, metadata={"retrieval_k": 3})
        registry.register(candidate, aliases=("candidate",))
    llmops.shutdown()
    """
)


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, LLMOPS_HOME=str(home))
    env.pop("LLMOPS_RAISE_INTERNAL_ERRORS", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def _read_url(proc: subprocess.Popen[str], timeout: float) -> str:
    """The address ``llmops ui`` prints once it listens."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if match:
                return match.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    _, err = proc.communicate(timeout=10)
    raise AssertionError(f"llmops ui did not start: {err}")


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("ui") / "home"
    mode = "register" if HAS_MLFLOW else "traces"
    seed = subprocess.run(
        [sys.executable, "-c", SEED, mode],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seed.returncode == 0, seed.stderr
    proc = subprocess.Popen(
        [LLMOPS, "ui", "--port", "0", "--no-open"],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield _read_url(proc, timeout=60)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Script errors, CSP violations and failed loads the page reported."""
    return []


@pytest.fixture
def page(browser: Any, console_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.on("pageerror", lambda exc: console_errors.append(str(exc)))
    opened.on(
        "console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None
    )
    yield opened
    context.close()
    assert console_errors == []


def test_browse_traces_down_to_a_span(ui_url: str, page: Any) -> None:
    page.goto(ui_url)
    rows = page.locator("#traces tbody tr")
    assert rows.count() == 2
    assert "e2e-session" in rows.first.inner_text()
    page.get_by_role("link", name="invoke_agent e2e-bot").first.click()
    page.wait_for_url(re.compile(r"/traces/[0-9a-f]{32}$"))
    assert page.locator("#waterfall tbody tr").count() == 3
    assert page.locator("#span-detail h2").inner_text() == "invoke_agent e2e-bot"

    page.get_by_role("link", name="chat tiny").click()
    page.wait_for_url(re.compile(r"\?span=[0-9a-f]{16}$"))
    detail = page.locator("#span-detail")
    assert detail.locator("h2").inner_text() == "chat tiny"
    attributes = detail.locator("table.attributes").all_inner_texts()
    text = "\n".join(attributes)
    assert "gen_ai.request.model" in text
    assert "tiny" in text
    assert "gen_ai.usage.input_tokens" in text
    assert "a grounded answer" in detail.locator("#span-output").inner_text()
    bubbles = detail.locator("#span-chat li")
    assert bubbles.count() == 2
    user, assistant = bubbles.nth(0), bubbles.nth(1)
    assert "doc for " in user.inner_text()
    assert user.locator(".bubble-role").inner_text().lower() == "user"
    assert "a grounded answer" in assistant.inner_text()
    # The stylesheet styles the bubbles (under the page's content security policy).
    assert user.evaluate("e => getComputedStyle(e).alignSelf") == "flex-end"
    assert assistant.evaluate("e => getComputedStyle(e).alignSelf") == "flex-start"
    selected = page.locator("#waterfall tr.selected")
    assert selected.count() == 1
    assert "chat tiny" in selected.inner_text()


def test_filter_traces_and_see_bad_parameters_explained(
    ui_url: str, page: Any, console_errors: list[str]
) -> None:
    page.goto(ui_url)
    page.get_by_label("Search").fill("no-such-agent")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=no-such-agent"))
    assert "No traces match these filters" in page.locator("main").inner_text()
    response = page.goto(ui_url + "?page=zero")
    assert response.status == 400
    assert "expected a whole number" in page.locator("#error-message").inner_text()
    console_errors[:] = [e for e in console_errors if "status of 400" not in e]


@pytest.mark.skipif(not HAS_MLFLOW, reason="config versions need MLflow (llmops[registry])")
def test_compare_two_config_versions(ui_url: str, page: Any) -> None:
    page.goto(ui_url + "configs")
    versions = page.locator("#versions-e2e-bot tbody tr")
    assert versions.count() == 2
    assert "candidate" in versions.first.inner_text()
    page.get_by_role("link", name=re.compile(r"^Compare ")).click()
    page.wait_for_url(re.compile(r"/compare\?a="))
    changes = page.locator("#changes").inner_text()
    assert "metadata.retrieval_k" in changes
    assert page.locator("#side-by-side tr.sbs-changed").count() >= 1
    assert "no completed eval run" in page.locator("#eval-message").inner_text()
