"""Fixtures for the benchmark tests.

The public B2B files are never copied into the repository: the tests that need them read the
folder named by ARTICULA_B2B_DIR and skip when it is not set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# `pytest tests/bench` alone puts tests/ (not the repo) on sys.path, where tests/solver would make
# `solver` a namespace package; the repository root first keeps the real packages.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from bench.b2b import B2B_DIR_ENV, SUFFIX  # noqa: E402


@pytest.fixture(scope="session")
def b2b_dir() -> Path:
    """The folder of the B2B .dzn files; a folder named but missing or empty is an error."""
    value = os.environ.get(B2B_DIR_ENV)
    if not value:
        pytest.skip(
            f"{B2B_DIR_ENV} is not set: these tests need the public B2B .dzn files, which are "
            "never copied into the repository"
        )
    directory = Path(value).resolve()
    if not directory.is_dir() or not any(directory.glob(f"*{SUFFIX}")):
        pytest.fail(f"{B2B_DIR_ENV}={value}: no B2B *{SUFFIX} files in {directory}")
    return directory


@pytest.fixture(scope="session")
def tic12(b2b_dir: Path) -> Path:
    path = b2b_dir / f"tic-12{SUFFIX}"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return path
