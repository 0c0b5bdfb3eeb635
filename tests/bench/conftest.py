"""Fixtures for the benchmark tests: the public B2B files are read from ../shared at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.b2b import DEFAULT_DIR, SUFFIX


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
