"""Fixtures for the benchmark tests: the public B2B files are read from ../shared at run time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# `pytest tests/bench` alone puts tests/ (not the repo) on sys.path, where tests/solver would make
# `solver` a namespace package; the repository root first keeps the real packages.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from bench.b2b import DEFAULT_DIR, SUFFIX  # noqa: E402


@pytest.fixture(scope="session")
def b2b_dir() -> Path:
    if not DEFAULT_DIR.is_dir() or not any(DEFAULT_DIR.glob("*.dzn")):
        pytest.skip(
            f"B2B benchmark files not found in {DEFAULT_DIR} (they live outside the repo, "
            "in ../shared/benchmarks/b2b, and are never copied into it)"
        )
    return DEFAULT_DIR


@pytest.fixture(scope="session")
def tic12(b2b_dir: Path) -> Path:
    path = b2b_dir / f"tic-12{SUFFIX}"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return path
