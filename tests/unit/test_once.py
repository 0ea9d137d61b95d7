"""``llmops._internal.once``: the process-wide objects (models) are built once, even when
threads ask for them together."""

from __future__ import annotations

import threading
import time

from llmops._internal import once


def test_built_once_under_concurrent_first_calls() -> None:
    builds: list[object] = []

    @once
    def model() -> object:
        """A slow build."""
        time.sleep(0.05)
        builds.append(object())
        return builds[-1]

    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(model())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len(got) == 8
    assert all(g is builds[0] for g in got)
    assert model() is builds[0]
    assert model.__doc__ == "A slow build."
