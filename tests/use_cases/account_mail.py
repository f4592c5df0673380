"""Reading what the shop wrote to a person, from the outbox of any store."""

from __future__ import annotations

from application.outbox import StoredMessage
from application.ports import UnitOfWorkFactory
from tests.fakes import FrozenClock


async def mail_to(
    uow: UnitOfWorkFactory, clock: FrozenClock, recipient: str, kind: str
) -> list[StoredMessage]:
    """The messages of this kind waiting for `recipient`, oldest first."""
    async with uow() as tx:
        found = [await tx.outbox.get(message_id) for message_id in await tx.outbox.due(clock.now(), 1000)]
    return [m for m in found if m is not None and m.recipient == recipient and m.kind == kind]


async def token_in(uow: UnitOfWorkFactory, clock: FrozenClock, recipient: str, kind: str) -> str:
    """The token of the one message of this kind to `recipient`."""
    messages = await mail_to(uow, clock, recipient, kind)
    assert len(messages) == 1, messages
    token = messages[0].context["token"]
    assert isinstance(token, str)
    return token
