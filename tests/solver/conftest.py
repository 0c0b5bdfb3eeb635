"""Solver tests: pure library tests (marked `nodb` by tests/conftest.py).

With `CI` set, hypothesis draws the same examples on every run (the `ci` profile)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
