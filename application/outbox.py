"""The shop's outgoing messages (emails), recorded in the transaction that causes them.

A use case that must tell someone something adds an OutboxMessage to its unit of work
(`await uow.outbox.add(OutboxMessage(...), now)`), in the same transaction as the change itself:
a rolled-back change leaves no message, a committed one always has its message. Delivery happens
afterwards, on the job engine (application.deliver_messages): each message is claimed for a while
(a lease), sent, and marked sent; a transient failure is retried later with a growing wait, a
permanent one marks the message dead. Each message carries an id that goes out as the email's
Message-ID, so a message sent twice (a worker dying between sending and recording it) is one
message to the receiving servers, which deduplicate by it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeAlias
from uuid import uuid4

ContextValue: TypeAlias = str | int | bool | Sequence["ContextValue"] | Mapping[str, "ContextValue"] | None
"""What a message's context may hold: it is stored as JSON and read by the templates (lists and
objects for what repeats, such as an order's lines; build them as lists and dicts)."""


class MessageStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its (next) delivery attempt."""
    SENT = "sent"
    DEAD = "dead"
    """Given up: the receiving server refused it for good, or every attempt failed."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message a use case wants sent.

    kind: the template that writes it (adapters/email/templates/<kind>.*).
    recipient: the email address.
    context: what the template needs (no secret but the one token a reset or verification needs).
    key: when given, at most one message with this key is ever recorded (e.g.
    "order-paid:42"), so a use case that runs twice records it once."""

    kind: str
    recipient: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as the outbox keeps it."""

    id: str
    """A UUID: the idempotency key of the message, sent as its Message-ID."""
    key: str
    kind: str
    recipient: str
    context: Mapping[str, ContextValue]
    status: MessageStatus
    attempts: int
    """Delivery attempts started so far (claims)."""
    next_attempt_at: datetime
    created_at: datetime
    claimed_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None

    @classmethod
    def record(cls, message: OutboxMessage, now: datetime) -> StoredMessage:
        message_id = str(uuid4())
        return cls(
            id=message_id,
            key=message.key or message_id,
            kind=message.kind,
            recipient=message.recipient,
            context=dict(message.context),
            status=MessageStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How delivery retries: the wait doubles after each failed attempt, from first_wait up to
    max_wait; after max_attempts attempts the message is dead. A claim lasts `lease`: longer than
    one attempt can take (the mailer's time limit), so that no two workers send one message at
    once, and short enough that a message claimed by a worker that died is soon tried again."""

    max_attempts: int = 8
    first_wait: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)

    def wait_after(self, attempts: int) -> timedelta:
        doublings = min(max(0, attempts - 1), 30)
        return min(self.first_wait * (1 << doublings), self.max_wait)


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Email:
    message_id: str
    """The outbox message's id; the mailer writes it as the Message-ID header."""
    recipient: str
    subject: str
    text: str
    html: str | None = None


class DeliveryFailed(Exception):
    """The mailer could not hand the message over. `permanent`: asking again will not change
    that (the server refused it with a 5xx); otherwise it is worth a retry later (a 4xx, a time
    out, a connection refused)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class RenderingFailed(Exception):
    """No template for this kind of message, or the context does not fit it: a bug, not worth a
    retry."""


class QueueUnavailable(Exception):
    """The job engine could not be asked to deliver (not running in this process, or its database
    is out of reach). The message is safe in the outbox: the relay hands it over later."""
