"""Solver tests: pure library tests (marked `nodb` by tests/conftest.py)."""
