"""Commitments: rapporteurs' records, commitments and their follow-up (issue 5)."""
