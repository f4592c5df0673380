"""Test doubles for the outbox's ports (real implementations, not mocks) and a real SMTP server
(aiosmtpd) that answers as a test scripts it."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from application.outbox import DeliveryFailed, Email
from tests.outages import free_port

HANG = "hang"
"""A scripted answer: say nothing for a while (the client times out), then refuse with a 451."""


class ScriptedMailer:
    """Refuses as scripted (one failure per attempt, in order), then accepts; keeps what it
    accepted."""

    def __init__(self, *failures: DeliveryFailed) -> None:
        self._failures = list(failures)
        self.sent: list[Email] = []
        self.attempts = 0

    async def send(self, email: Email) -> None:
        self.attempts += 1
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(email)


class RecordingQueue:
    """The job engine as a list: what was handed over, and for when."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, datetime | None]] = []

    async def deliver(self, message_id: str, *, at: datetime | None = None) -> None:
        self.handed.append((message_id, at))


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1: answers DATA with the scripted replies in turn ("451 ...",
    "550 ...", HANG), then "250"; keeps the Message-ID of every message it accepted."""

    port: int
    replies: list[str] = field(default_factory=list)
    hang_seconds: float = 2.0
    accepted: list[str] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply == HANG:
            await asyncio.sleep(self.hang_seconds)
            return "451 4.4.2 too slow"
        if reply.startswith("250"):
            content: bytes = envelope.content
            with self._lock:
                self.messages.append(content)
                self.accepted.append(str(message_from_bytes(content)["Message-ID"]))
        return reply

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.accepted)


@contextmanager
def smtp_sink(*replies: str, hang_seconds: float = 2.0) -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port(), replies=list(replies), hang_seconds=hang_seconds)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
