"""The ``llmops`` command line (the app floor); nothing below it imports it.

``main`` is the console script (``llmops = "llmops._cli:main"``). It loads the Typer app on
call, so importing one command module (``llmops._cli._serve``) does not build them all.
"""

from __future__ import annotations


def main() -> None:
    """Run the ``llmops`` command line."""
    from llmops._cli._main import main as run

    run()


__all__ = ["main"]
