"""Solver tests: pure library tests (marked `nodb` by tests/conftest.py).

Hypothesis draws the same examples on every run: the `ci` profile of tests/conftest.py
(derandomized, no example database) is in force unless ARTICULA_HYPOTHESIS_PROFILE=explore.
"""
