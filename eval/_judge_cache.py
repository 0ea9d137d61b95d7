"""A disk cache of judge replies: the same prompt, model, config and sampling → no new call.

One JSON file per key under ``$LLMOPS_HOME/cache/judge/<2 hex>/<key>.json``, written to a
temporary file and renamed into place, so several processes can share the folder: a reader sees
a whole entry or none, and two writers of the same key write the same content. Within a process,
callers of the same key wait for the first one instead of calling the model twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

_log = logging.getLogger("llmops.eval.judge")
CACHE_FORMAT = 1


def cache_key(
    messages: list[dict[str, Any]], model: str, config_version: str, params: Mapping[str, Any]
) -> str:
    """SHA-256 of the rendered messages, the model, the judge config's version and sampling."""
    payload = {
        "format": CACHE_FORMAT,
        "messages": messages,
        "model": model,
        "config_version": config_version,
        "params": dict(params),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = {"hits": 0, "misses": 0, "writes": 0, "unreadable": 0}

    def incr(self, name: str) -> None:
        with self._lock:
            self._values[name] += 1

    def snapshot(self, reset: bool = False) -> dict[str, int]:
        with self._lock:
            values = dict(self._values)
            if reset:
                self._values = dict.fromkeys(self._values, 0)
        return values


COUNTERS = _Counters()
# Striped locks: bounded memory however many keys; two keys rarely share a stripe.
_STRIPES = tuple(threading.Lock() for _ in range(64))


@contextmanager
def _key_lock(key: str) -> Iterator[None]:
    with _STRIPES[int(key[:8], 16) % len(_STRIPES)]:
        yield


class JudgeCache:
    """Replies by key, one file each, in a folder several processes may share.

    Args:
        folder: Where the entries live (default: ``$LLMOPS_HOME/cache/judge``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        """The entry's file: ``<folder>/<first 2 hex digits>/<key>.json``."""
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry, or None when absent or unreadable (an unreadable one is replaced)."""
        try:
            entry = orjson.loads(self.path(key).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError) as exc:
            COUNTERS.incr("unreadable")
            _log.warning("judge cache: ignoring unreadable entry %s (%s)", self.path(key), exc)
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            COUNTERS.incr("unreadable")
            return None
        return entry

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store an entry atomically (temporary file in the same folder, then rename)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{key[:8]}-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(orjson.dumps(dict(entry)))
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        COUNTERS.incr("writes")

    def get_or_call(
        self, key: str, call: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        """The cached entry for ``key``, or ``call()``'s, stored; and whether it was a hit.

        ``call`` errors propagate and nothing is stored, so a judge that was down is asked
        again next time.
        """
        with _key_lock(key):
            entry = self.get(key)
            if entry is not None:
                COUNTERS.incr("hits")
                return entry, True
            COUNTERS.incr("misses")
            entry = call()
            try:
                self.put(key, entry)
            except OSError as exc:  # a full or read-only disk costs a re-call, not the result
                _log.warning("judge cache: cannot write %s (%s)", self.path(key), exc)
            return entry, False


def default_cache() -> JudgeCache:
    """The cache under the active settings' llmops home."""
    from llmops._configure import active_settings

    return JudgeCache(Path(active_settings().home).expanduser() / "cache" / "judge")


def judge_cache_stats(reset: bool = False) -> dict[str, int]:
    """This process's judge-cache counters: ``hits``, ``misses``, ``writes``, ``unreadable``.

    Args:
        reset: Zero the counters after reading them.

    Example:
        >>> judge_cache_stats()
        {'hits': 3, 'misses': 2, 'writes': 2, 'unreadable': 0}
    """
    return COUNTERS.snapshot(reset)
