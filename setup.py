"""Package discovery for the mapped folders; everything else lives in pyproject.toml.

pyproject's ``[tool.setuptools.package-dir]`` maps ``llmops/``, ``tracing/``, ``eval/``,
``guardrails/`` and ``serving/`` into the one ``llmops`` namespace. setuptools' own ``find``
cannot put a prefix in front of what it finds, so this walks each mapped folder and lists every
package below it (a folder with an ``__init__.py``, reached through packages only): a new
subpackage such as ``guardrails/pii/`` needs no edit here, in pyproject or in the Makefile.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent


def package_dirs() -> dict[str, str]:
    """pyproject's package-dir: import name -> folder, relative to the repository root."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return dict(tomllib.load(file)["tool"]["setuptools"]["package-dir"])


def packages(mapping: dict[str, str]) -> list[str]:
    """Every package under the mapped folders, by its import name."""
    found: list[str] = []
    for name, folder in mapping.items():
        top = ROOT / folder
        for current, subfolders, files in os.walk(top):
            if "__init__.py" not in files:
                subfolders.clear()  # data folders, and nothing importable below them
                continue
            relative = Path(current).relative_to(top).parts
            found.append(".".join((name, *relative)))
            subfolders[:] = sorted(s for s in subfolders if s.isidentifier())
    return sorted(set(found))


setup(packages=packages(package_dirs()))
