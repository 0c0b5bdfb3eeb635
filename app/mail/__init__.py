"""Outgoing e-mail: an outbox table, sent by `dispatch_due` over SMTP or as .eml files,
at least once (never lost) with one stable Message-ID per message."""
