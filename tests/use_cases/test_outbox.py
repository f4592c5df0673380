"""The outbox on every store: a message exists exactly when the change that caused it was
committed; a delivery claims it, sends it once, retries what is worth retrying and gives up on
what is not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta

import pytest

from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.deliver_messages import DeliverMessage, Delivery, HandOverAfterCommit, RelayDueMessages
from application.outbox import (
    ContextValue,
    DeliveryFailed,
    MessageStatus,
    OutboxMessage,
    RenderedMessage,
    RetryPolicy,
    StoredMessage,
)
from application.ports import UnitOfWorkFactory
from entrypoints.settings import MEMORY_DATABASE_URL
from tests.conftest import Backend
from tests.fakes import FrozenClock
from tests.messaging import RecordingQueue, ScriptedMailer
from tests.use_cases.conftest import Identity

POLICY = RetryPolicy(
    max_attempts=4,
    first_wait=timedelta(seconds=10),
    max_wait=timedelta(seconds=60),
    lease=timedelta(minutes=1),
)
HELLO = OutboxMessage(kind="welcome", recipient="ann@example.com", context={"email": "ann@example.com"})


class FixedRenderer:
    def render(self, kind: str, context: Mapping[str, ContextValue]) -> RenderedMessage:
        return RenderedMessage(subject=f"about {kind}", text=f"{dict(context)}")


def deliverer(
    uow: UnitOfWorkFactory, mailer: ScriptedMailer, clock: FrozenClock, queue: RecordingQueue
) -> DeliverMessage:
    return DeliverMessage(uow, FixedRenderer(), mailer, queue, clock, policy=POLICY)


async def record(uow: UnitOfWorkFactory, clock: FrozenClock, message: OutboxMessage = HELLO) -> str:
    async with uow() as tx:
        stored = await tx.outbox.add(message, clock.now())
        await tx.commit()
    assert stored is not None
    return stored.id


async def record_then_fail(uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    async with uow() as tx:
        await tx.outbox.add(HELLO, clock.now())
        raise RuntimeError("the change failed after recording its message")


async def stored(uow: UnitOfWorkFactory, message_id: str) -> StoredMessage:
    async with uow() as tx:
        found = await tx.outbox.get(message_id)
    assert found is not None
    return found


async def test_signing_up_records_a_welcome_message_with_the_account(
    identity: Identity, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    user = await identity.sign_up("Ann@Example.com", "correct horse battery")

    async with uow() as tx:
        due = await tx.outbox.due(clock.now(), 10)
        message = await tx.outbox.get(due[0])
    assert len(due) == 1
    assert message is not None
    assert (message.kind, message.recipient, message.key) == (
        "welcome",
        "ann@example.com",
        f"welcome:{user.id}",
    )
    assert message.context["email"] == "ann@example.com"
    assert set(message.context) == {"email", "token"}, "the address and the one verification token"


async def test_a_rolled_back_transaction_leaves_no_message(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    with pytest.raises(RuntimeError):
        await record_then_fail(uow, clock)

    async with uow() as tx:
        assert await tx.outbox.due(clock.now(), 10) == []


@pytest.fixture
async def handing_over(
    backend: Backend, database_url: str
) -> AsyncIterator[tuple[UnitOfWorkFactory, RecordingQueue]]:
    """Units of work on the test's store that tell a recording job queue what each commit recorded."""
    queue = RecordingQueue()
    hand_over = HandOverAfterCommit(queue)
    if database_url == MEMORY_DATABASE_URL:
        store = MemoryStore()
        yield (lambda: MemoryUnitOfWork(store, messages_committed=hand_over)), queue
        return
    engine = create_engine(database_url, pool_size=2)
    try:
        yield (lambda: SqlUnitOfWork(engine, messages_committed=hand_over)), queue
    finally:
        await engine.dispose()


async def test_only_committed_messages_are_handed_to_the_engine(
    handing_over: tuple[UnitOfWorkFactory, RecordingQueue], clock: FrozenClock
) -> None:
    uow, queue = handing_over
    with pytest.raises(RuntimeError):
        await record_then_fail(uow, clock)
    committed = await record(uow, clock, OutboxMessage(kind="welcome", recipient="bo@example.com"))

    assert queue.handed == [(committed, None)]


async def test_a_message_key_is_recorded_once(uow: UnitOfWorkFactory, clock: FrozenClock) -> None:
    keyed = OutboxMessage(kind="welcome", recipient="ann@example.com", key="welcome:1")
    await record(uow, clock, keyed)

    async with uow() as tx:
        assert await tx.outbox.add(keyed, clock.now()) is None
        await tx.commit()
    async with uow() as tx:
        assert len(await tx.outbox.due(clock.now(), 10)) == 1


async def test_failing_twice_then_accepted_sends_one_email(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    message_id = await record(uow, clock)
    mailer = ScriptedMailer(
        DeliveryFailed("451 try later", permanent=False), DeliveryFailed("timed out", permanent=False)
    )
    queue = RecordingQueue()
    deliver = deliverer(uow, mailer, clock, queue)

    assert await deliver(message_id) is Delivery.RETRY
    assert await deliver(message_id) is Delivery.NOT_DUE  # the retry is not due yet
    clock.advance(10)
    assert await deliver(message_id) is Delivery.RETRY
    clock.advance(20)
    assert await deliver(message_id) is Delivery.SENT
    assert await deliver(message_id) is Delivery.NOT_DUE

    assert [e.message_id for e in mailer.sent] == [message_id]
    assert [at - clock.now() for _, at in queue.handed if at] == [timedelta(seconds=-20), timedelta(0)]
    final = await stored(uow, message_id)
    assert (final.status, final.attempts, final.sent_at) == (MessageStatus.SENT, 3, clock.now())


async def test_a_permanent_refusal_marks_the_message_dead_and_logs_it(
    uow: UnitOfWorkFactory, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = await record(uow, clock)
    mailer = ScriptedMailer(DeliveryFailed("550 no such user", permanent=True))

    with caplog.at_level(logging.ERROR, "bookshop.messages"):
        assert await deliverer(uow, mailer, clock, RecordingQueue())(message_id) is Delivery.DEAD

    dead = await stored(uow, message_id)
    assert (dead.status, dead.last_error) == (MessageStatus.DEAD, "550 no such user")
    assert message_id in caplog.text
    assert "550 no such user" in caplog.text
    async with uow() as tx:
        assert await tx.outbox.due(clock.now() + timedelta(days=1), 10) == []


async def test_the_last_attempt_failing_marks_the_message_dead(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    message_id = await record(uow, clock)
    mailer = ScriptedMailer(*[DeliveryFailed("451 busy", permanent=False)] * POLICY.max_attempts)
    deliver = deliverer(uow, mailer, clock, RecordingQueue())

    outcomes = []
    for _ in range(POLICY.max_attempts):
        outcomes.append(await deliver(message_id))
        clock.advance(POLICY.max_wait.total_seconds())

    assert outcomes == [Delivery.RETRY] * (POLICY.max_attempts - 1) + [Delivery.DEAD]
    assert (await stored(uow, message_id)).status is MessageStatus.DEAD


async def test_concurrent_deliveries_of_one_message_send_it_once(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    message_ids = [
        await record(uow, clock, OutboxMessage(kind="welcome", recipient=f"{n}@x.test")) for n in range(5)
    ]
    mailer = ScriptedMailer()
    deliver = deliverer(uow, mailer, clock, RecordingQueue())

    outcomes = await asyncio.gather(*(deliver(m) for m in message_ids for _ in range(4)))

    assert sorted(e.message_id for e in mailer.sent) == sorted(message_ids)
    assert outcomes.count(Delivery.SENT) == 5


async def test_a_claim_that_ran_out_lets_another_attempt_take_the_message(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    message_id = await record(uow, clock)
    now = clock.now()
    async with uow() as tx:
        first = await tx.outbox.claim(message_id, now=now, due_by=now, lease_until=now + POLICY.lease)
        await tx.commit()
    assert first is not None
    async with uow() as tx:
        assert await tx.outbox.due(now, 10) == []  # held by the first attempt

    clock.advance(POLICY.lease.total_seconds())
    async with uow() as tx:
        assert await tx.outbox.due(clock.now(), 10) == [message_id]
    mailer = ScriptedMailer()
    assert await deliverer(uow, mailer, clock, RecordingQueue())(message_id) is Delivery.SENT
    async with uow() as tx:
        assert not await tx.outbox.mark_sent(
            message_id, first.attempts, clock.now()
        )  # the first one's word is stale
        await tx.commit()
    assert (await stored(uow, message_id)).attempts == 2


async def test_the_relay_hands_over_what_is_due_and_unclaimed(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    waiting = await record(uow, clock, OutboxMessage(kind="welcome", recipient="a@x.test"))
    sent = await record(uow, clock, OutboxMessage(kind="welcome", recipient="b@x.test"))
    await deliverer(uow, ScriptedMailer(), clock, RecordingQueue())(sent)
    queue = RecordingQueue()

    assert await RelayDueMessages(uow, queue, clock)() == 1

    assert queue.handed == [(waiting, None)]
