"""The names the quickstart's bundled files and the CLI give still resolve to its code."""

from __future__ import annotations

from llmops._quickstart import EVAL_TARGET, quickstart_config, search_docs, support_bot
from llmops.eval._suite import import_object


def test_the_eval_target_and_the_config_tool_resolve() -> None:
    assert EVAL_TARGET == "llmops._quickstart:support_bot"
    assert import_object(EVAL_TARGET, what="target") is support_bot
    tool = "llmops._quickstart:search_docs"
    assert [spec.import_path for spec in quickstart_config().tools] == [tool]
    assert import_object(tool, what="tool") is search_docs


def test_the_console_script_entry_point_is_the_cli_main() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="llmops")
    from llmops._cli import main

    assert script.load() is main
