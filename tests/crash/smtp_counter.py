"""An SMTP server in its own process: appends the Message-ID of every message it accepts to
a file, one per line (flushed), until it is terminated. Usage: smtp_counter.py PORT FILE."""

from __future__ import annotations

import email
import email.policy
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self, path: str) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.out.write(f"{parsed['Message-ID']}\n")
            self.out.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Counter(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
