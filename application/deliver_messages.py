"""Delivering the outbox: one message at a time, each attempt claimed, and a relay that hands the
engine every message that is due (after a restart, a lost hand-over, or a claim that ran out)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

from application.outbox import DeliveryFailed, Email, QueueUnavailable, RenderingFailed, RetryPolicy
from application.ports import Clock, DeliveryQueue, Mailer, MessageRenderer, UnitOfWorkFactory

logger = logging.getLogger("bookshop.messages")

CLOCK_TOLERANCE = timedelta(seconds=1)
"""A delivery the engine runs at most this early (its clock against ours) still counts as due."""
RELAY_BATCH = 500
HAND_OVER_SECONDS = 1.0
"""The longest a request waits, after its commit, to hand its messages to the engine."""


class Delivery(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    NOT_DUE = "not_due"
    """Nothing to do: already sent or dead, claimed by another worker, or not due yet."""


class DeliverMessage:
    """The shop sends one message from the outbox.

    - The message is claimed first (one short transaction): of several workers handed the same
      message, one sends it; the others find it claimed and do nothing.
    - No transaction is open while the mail server is talked to.
    - Accepted → SENT. A transient failure (4xx, time out, connection refused) → PENDING again,
      due after the policy's wait, and the engine is asked to deliver it then. A permanent one
      (5xx, no template) or the last attempt failing → DEAD, logged as an error.
    - If this worker dies mid-way, the claim runs out and the relay hands the message over again:
      never lost; the Message-ID stays the same, so a resend is one message to the receiver."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        renderer: MessageRenderer,
        mailer: Mailer,
        queue: DeliveryQueue,
        clock: Clock,
        *,
        policy: RetryPolicy,
    ) -> None:
        self._uow = uow
        self._renderer = renderer
        self._mailer = mailer
        self._queue = queue
        self._clock = clock
        self._policy = policy

    async def __call__(self, message_id: str) -> Delivery:
        now = self._clock.now()
        async with self._uow() as uow:
            message = await uow.outbox.claim(
                message_id, now=now, due_by=now + CLOCK_TOLERANCE, lease_until=now + self._policy.lease
            )
            await uow.commit()
        if message is None:
            return Delivery.NOT_DUE
        try:
            rendered = self._renderer.render(message.kind, message.context)
            await self._mailer.send(
                Email(
                    message_id=message.id,
                    recipient=message.recipient,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                )
            )
        except (DeliveryFailed, RenderingFailed) as failure:
            permanent = not isinstance(failure, DeliveryFailed) or failure.permanent
            return await self._failed(message.id, message.kind, message.attempts, str(failure), permanent)
        async with self._uow() as uow:
            recorded = await uow.outbox.mark_sent(message.id, message.attempts, self._clock.now())
            await uow.commit()
        if not recorded:
            logger.warning("message %s was sent after its claim ran out: it may go out twice", message.id)
        logger.info("message %s (%s) sent, attempt %s", message.id, message.kind, message.attempts)
        return Delivery.SENT

    async def _failed(
        self, message_id: str, kind: str, attempt: int, error: str, permanent: bool
    ) -> Delivery:
        last = permanent or attempt >= self._policy.max_attempts
        retry_at = None if last else self._clock.now() + self._policy.wait_after(attempt)
        async with self._uow() as uow:
            await uow.outbox.mark_failed(message_id, attempt, error[:1000], retry_at)
            await uow.commit()
        if retry_at is None:
            logger.error(
                "message %s (%s) is dead after attempt %s: %s%s",
                message_id,
                kind,
                attempt,
                error,
                "" if permanent else " (no attempt left)",
            )
            return Delivery.DEAD
        logger.warning(
            "message %s (%s), attempt %s failed, retried at %s: %s",
            message_id,
            kind,
            attempt,
            retry_at.isoformat(timespec="seconds"),
            error,
        )
        try:
            await self._queue.deliver(message_id, at=retry_at)
        except QueueUnavailable:
            logger.warning("message %s: the job engine is unavailable; the relay will retry it", message_id)
        return Delivery.RETRY


class RelayDueMessages:
    """The shop hands the job engine every message that is due and not claimed: those whose
    hand-over after commit was lost (engine down, process killed), those of a worker that died
    with a claim, and, with the embedded engine, all that were waiting when the process stopped.
    Handing one over twice is harmless (the engine keeps one waiting delivery per message, and a
    delivery claims the message first). Returns how many were handed over."""

    def __init__(self, uow: UnitOfWorkFactory, queue: DeliveryQueue, clock: Clock) -> None:
        self._uow = uow
        self._queue = queue
        self._clock = clock

    async def __call__(self) -> int:
        async with self._uow() as uow:
            due = await uow.outbox.due(self._clock.now(), RELAY_BATCH)
        for message_id in due:
            await self._queue.deliver(message_id)
        return len(due)


class HandOverAfterCommit:
    """Called by the unit of work once a transaction that recorded messages has committed: asks
    the engine to deliver them now, rather than at the relay's next pass. A failure here loses
    nothing (the messages are committed; the relay finds them), so it is only logged."""

    def __init__(self, queue: DeliveryQueue) -> None:
        self._queue = queue

    async def __call__(self, message_ids: Sequence[str]) -> None:
        try:
            async with asyncio.timeout(HAND_OVER_SECONDS):
                for message_id in message_ids:
                    await self._queue.deliver(message_id)
        except (QueueUnavailable, TimeoutError) as unavailable:
            reason = str(unavailable) or "no answer in time"
            logger.info("messages %s left to the relay: %s", ", ".join(message_ids), reason)
