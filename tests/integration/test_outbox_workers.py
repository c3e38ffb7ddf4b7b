"""Several outbox workers on one database never send the same message twice (issue 4).

Each worker is the real command, ``python -m closedloop worker --url URL --poll S``, with its SMTP settings
from ``CLOSEDLOOP_SMTP_*``, sending to one aiosmtpd server on loopback. Half the messages wait in the outbox
when the workers start, and the other half are queued while they poll, so their claims race for the same
rows: three workers on PostgreSQL (``SELECT ... FOR UPDATE SKIP LOCKED``) and two on SQLite (one writer at a
time). Every message must arrive exactly once by its Message-ID, be claimed once, and be recorded as sent.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from closedloop import Contact, Delivery, Desk, Feedback, Place, Role, Source, User
from closedloop.testing.smtp import HOST, SmtpServer

SENDER = "feedback@chez-nous.example"
DOMAIN = SENDER.rsplit("@", 1)[1]
MESSAGES = 300
DEADLINE_SECONDS = 60
#: Replies are queued by a web application's many threads; it also makes queuing quicker.
QUEUING_THREADS = 4
REPORT = re.compile(r"^sent (\d+), failed (\d+), to retry (\d+)$")


class Worker:
    """One ``python -m closedloop worker`` process; its output lines are collected as they come."""

    def __init__(self, url: str, server: SmtpServer) -> None:
        environment = {key: value for key, value in os.environ.items() if not key.startswith("CLOSEDLOOP_")}
        environment.update(
            CLOSEDLOOP_SMTP_HOST=HOST,
            CLOSEDLOOP_SMTP_PORT=str(server.port),
            CLOSEDLOOP_SMTP_SECURITY="none",
            CLOSEDLOOP_SMTP_SENDER=SENDER,
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "closedloop", "worker", "--url", url, "--poll", "0.02"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.errors), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: IO[str] | None, into: list[str]) -> None:
        assert stream is not None
        for line in stream:
            into.append(line.rstrip("\n"))

    def stop(self) -> tuple[int, str]:
        """SIGTERM (the worker finishes its round and leaves); its exit code and error output."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for reader in self.readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode, "\n".join(self.errors)

    @property
    def sent(self) -> int:
        return sum(int(found.group(1)) for line in self.lines if (found := REPORT.match(line)))

    @property
    def failed_or_retrying(self) -> int:
        return sum(int(found.group(2)) + int(found.group(3)) for line in self.lines if (found := REPORT.match(line)))


def prepare(url: str, count: int = MESSAGES) -> list[str]:
    """A place, an agent, and ``count`` customers who gave feedback; their conversation ids."""
    with Desk.open(url, load_entry_points=False) as desk:
        desk.add_place(Place(id="opera", name="Chez Nous Opéra"))
        desk.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN, email="ana@chez-nous.example"))
        now = datetime.now(UTC)
        report = desk.ingest_many(
            Feedback(
                source=Source.SURVEY,
                external_id=f"survey-{number}",
                place_id="opera",
                received_at=now,
                contact=Contact(name=f"Customer {number}", email=f"customer{number}@example.com"),
                comments="Too slow.",
            )
            for number in range(count)
        )
        assert report.ingested == count
        return [conversation.id for conversation in desk.inbox("ana", limit=count).items]


def queue_replies(url: str, conversation_ids: list[str], port: int) -> None:
    """One email reply per conversation, due at once. The application that queues them has the same SMTP
    settings as the workers, though it sends nothing itself."""
    smtp = {"host": HOST, "port": port, "security": "none", "sender": SENDER}
    with Desk.open(url, smtp=smtp, load_entry_points=False, business_name="Chez Nous") as desk:

        def reply(numbered: tuple[int, str]) -> None:
            desk.reply(numbered[1], by="ana", body=f"Dear customer, this is answer {numbered[0]}.")

        with ThreadPoolExecutor(QUEUING_THREADS) as pool:
            list(pool.map(reply, enumerate(conversation_ids)))


def wait_until(condition: Callable[[], bool], what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        dead = [worker for worker in workers if worker.process.poll() is not None]
        assert not dead, f"a worker ended early: {dead[0].stop()[1]}"
        assert time.monotonic() < deadline, f"{what} did not happen within {DEADLINE_SECONDS} s"
        time.sleep(0.02)


def run_workers(url: str, count: int, smtp_server: SmtpServer) -> None:
    """Half the messages wait in the outbox when the workers start; the other half are queued while they run."""
    conversation_ids = prepare(url)
    backlog, later = conversation_ids[: MESSAGES // 2], conversation_ids[MESSAGES // 2 :]
    queue_replies(url, backlog, smtp_server.port)
    workers = [Worker(url, smtp_server) for _ in range(count)]
    try:
        wait_until(lambda: all(worker.lines for worker in workers), "every worker starting", workers)
        for worker in workers:
            assert worker.lines[0].startswith("closedloop worker: channels") and "email" in worker.lines[0]
        queue_replies(url, later, smtp_server.port)
        wait_until(lambda: len(smtp_server.received) >= MESSAGES, f"{MESSAGES} messages arriving", workers)
    finally:
        outcomes = [worker.stop() for worker in workers]
    for code, err in outcomes:
        assert code == 0, err
        assert "Traceback" not in err, err

    with Desk.open(url, load_entry_points=False) as desk:
        outbox = desk.outbox()
    assert len(outbox) == MESSAGES
    arrived = Counter(received.message_id for received in smtp_server.received)
    twice = {message_id: times for message_id, times in arrived.items() if times > 1}
    assert not twice, f"{len(twice)} messages were sent more than once"
    assert set(arrived) == {f"<{message.id}@{DOMAIN}>" for message in outbox}
    assert {message.status for message in outbox} == {Delivery.SENT}
    assert {message.attempts for message in outbox} == {1}, "a message was claimed more than once"
    for message, received in zip(
        sorted(outbox, key=lambda message: f"<{message.id}@{DOMAIN}>"),
        sorted(smtp_server.received, key=lambda received: received.message_id),
        strict=True,
    ):
        assert received.rcpt_tos == message.recipients
        assert message.body in received.text
    sent = [worker.sent for worker in workers]
    assert sum(sent) == MESSAGES
    assert all(worker.failed_or_retrying == 0 for worker in workers)
    assert sum(1 for number in sent if number) >= 2, f"one worker did all the work ({sent}): nothing raced"


def test_three_workers_on_postgresql_send_every_message_exactly_once(
    postgres_url: str, smtp_server: SmtpServer
) -> None:
    run_workers(postgres_url, 3, smtp_server)


def test_two_workers_on_sqlite_send_every_message_exactly_once(tmp_path: Path, smtp_server: SmtpServer) -> None:
    run_workers(f"sqlite:///{tmp_path / 'outbox.db'}", 2, smtp_server)


def test_a_worker_without_smtp_settings_keeps_email_in_the_outbox(tmp_path: Path) -> None:
    """No CLOSEDLOOP_SMTP_HOST: the worker has no email channel, and a queued reply stays pending."""
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    conversation_ids = prepare(url, 1)
    queue_replies(url, conversation_ids, port=2525)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CLOSEDLOOP_")}
    done = subprocess.run(
        [sys.executable, "-m", "closedloop", "worker", "--url", url, "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    assert "email" not in done.stdout.splitlines()[0]
    assert done.stdout.splitlines()[-1] == "sent 0, failed 0, to retry 1"
    with Desk.open(url, load_entry_points=False) as desk:
        [message] = desk.outbox()
    assert (message.status, message.attempts) == (Delivery.PENDING, 1)
    assert "no channel named 'email'" in (message.last_error or "")
