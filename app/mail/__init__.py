"""Outgoing e-mail: an outbox table, sent exactly once by `dispatch_due` (SMTP or .eml files)."""
