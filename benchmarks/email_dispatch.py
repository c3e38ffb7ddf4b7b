"""Dispatching the outbox over SMTP: ``desk.dispatch`` against plain ``smtplib`` on one connection.

Both send the same 10,000 emails to the same SMTP server on loopback, run in a process of its own (aiosmtpd
with its Sink handler, which accepts and drops every message). Both build each email the same way
(``build_email``), so the ratio is the price of the outbox: claiming, leasing and recording each message.
The two take turns, a quarter of the emails at a time, so that a disk or processor whose speed drifts during
the run (as it does after the intake benchmark's writes) slows both alike.
"""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from closedloop import Desk, MessageKind, OutboundMessage
from closedloop.channels.email import SmtpSettings, build_email
from closedloop.contacts import ContactChecker

BODY = (
    "Dear customer,\n\nThank you for taking the time to tell us about your visit. We are sorry the wait was "
    "long; we have added a second person at the counter at lunch time.\n\nSee you soon,\nThe team"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("the SMTP server did not start")


ROUNDS = 4


def messages(count: int, start: int = 0) -> list[OutboundMessage]:
    now = datetime.now(UTC)
    return [
        OutboundMessage(
            id=f"{number:032x}",
            conversation_id=f"c{number}",
            channel="email",
            kind=MessageKind.CUSTOMER_REPLY,
            recipients=(f"customer{number}@example.com",),
            subject="Your feedback to Chez Nous",
            body=BODY,
            created_at=now,
            sender_name="Chez Nous",
            reply_link=f"https://example.com/reply/{number:043x}",
        )
        for number in range(start, start + count)
    ]


def time_desk(settings: SmtpSettings, batch: list[OutboundMessage], folder: Path) -> float:
    path = folder / "email-outbox.db"
    path.unlink(missing_ok=True)
    with Desk.open(f"sqlite:///{path}", smtp=settings, load_entry_points=False) as desk:
        with desk.store.transaction() as tx:
            tx.outbox.add(batch)
        began = time.perf_counter()
        report = desk.dispatch(limit=None)
        spent = time.perf_counter() - began
        assert report.sent == len(batch), report
    return spent


def time_smtplib(settings: SmtpSettings, batch: list[OutboundMessage]) -> float:
    checks = ContactChecker()
    began = time.perf_counter()
    connection = smtplib.SMTP(settings.host, settings.port or 25)
    for message in batch:
        connection.send_message(build_email(message, settings, checks))
    connection.quit()
    return time.perf_counter() - began


def main(count: int, folder: Path) -> None:
    port = free_port()
    server = start_server(port)
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="care@example.com")
        ours = plain = 0.0
        size = -(-count // ROUNDS)
        for start in range(0, count, size):
            batch = messages(min(size, count - start), start)
            ours += time_desk(settings, batch, folder)
            plain += time_smtplib(settings, batch)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"dispatch of {count:,} emails to an SMTP server on loopback, in {ROUNDS} rounds taken in turn")
    print(f"  desk.dispatch          {count / ours:>10,.0f} messages/s  ({ours:.1f} s)")
    print(f"  plain smtplib          {count / plain:>10,.0f} messages/s  ({plain:.1f} s)")
    print(f"  ratio dispatch / smtplib  {plain / ours:.2f}  (target at least 0.80)")


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
