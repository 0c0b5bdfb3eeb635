"""Text bound for spreadsheets (CSV, XLSX): formula-like cells are neutralised."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet evaluate this text (OWASP CSV-injection triggers)?"""
    return text.startswith(FORMULA_TRIGGERS) or text.lstrip(" \n").startswith(FORMULA_TRIGGERS)


def neutralise_formula(text: str) -> str:
    """Prefix formula-like text with a single quote so spreadsheets show it as text."""
    return "'" + text if is_formula_like(text) else text
