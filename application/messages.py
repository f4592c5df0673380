"""The messages the shop sends, one function per kind: what each says is in its templates
(adapters/email/templates/<kind>.*), what it needs to say it is here."""

from __future__ import annotations

from application.outbox import OutboxMessage
from domain.identity import User


def welcome(user: User) -> OutboxMessage:
    """ "Your account was created", once per account."""
    return OutboxMessage(
        kind="welcome", recipient=user.email, context={"email": user.email}, key=f"welcome:{user.id}"
    )
