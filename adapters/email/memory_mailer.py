"""A mailer that keeps what it was given, for APP_ENV=test."""

from __future__ import annotations

from application.outbox import Email


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email) -> None:
        self.sent.append(email)
