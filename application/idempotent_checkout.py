"""Checkout, answered once per Idempotency-Key: a retried request (a lost answer, a double click)
never charges twice nor moves stock twice."""

from __future__ import annotations

from application.checkout import Checkout, CheckoutResult, check_payment_method
from application.errors import (
    IdempotencyKeyReused,
    NotFound,
    PaymentDeclined,
    PaymentUnavailable,
)
from application.idempotency import (
    ABANDONED_AFTER,
    CheckoutOutcomeKind,
    IdempotencyRecord,
    IdempotencyState,
)
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.errors import DomainError
from domain.ordering import Order, OrderStatus
from domain.values import require_token

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotentCheckout:
    """A customer pays for their cart (Checkout), with an optional Idempotency-Key.

    - The same key from the same user gets the first answer again (same order, same status), never
      a second charge or stock movement; while the first is running, 409.
    - A refusal before any order exists is not remembered: the key can be used again.
    - A checkout cut off (a crash, a lost connection) and still in progress ABANDONED_AFTER later:
      without an order, its key can be used again; with one, the key answers with that order as it
      stands (the provider's webhook or the expiry settles it).
    """

    def __init__(self, checkout: Checkout, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._checkout = checkout
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, user_id: int, payment_method_id: str | None = None, idempotency_key: str | None = None
    ) -> CheckoutResult:
        check_payment_method(payment_method_id)  # a request refused anyway never holds a key
        if idempotency_key is None:
            return await self._checkout(user_id, payment_method_id)
        key = require_token("Idempotency-Key", idempotency_key, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        earlier = await self._claim(user_id, key)
        if earlier is not None:
            return await self._replay(earlier)
        reserved = False

        async def remember_order(uow: UnitOfWork, order: Order) -> None:
            nonlocal reserved
            reserved = True
            await uow.idempotency_keys.attach_order(user_id, key, order.id or 0)

        try:
            result = await self._checkout(user_id, payment_method_id, on_reserved=remember_order)
        except PaymentDeclined:
            await self._complete(user_id, key, CheckoutOutcomeKind.DECLINED, None)
            raise
        except PaymentUnavailable:
            await self._complete(user_id, key, CheckoutOutcomeKind.UNAVAILABLE, None)
            raise
        except (DomainError, NotFound):
            if not reserved:
                await self._release(user_id, key)
            raise
        await self._complete(user_id, key, CheckoutOutcomeKind.ORDER, result.client_secret)
        return result

    async def _claim(self, user_id: int, key: str) -> IdempotencyRecord | None:
        """None when this request owns the key now; else the record of the earlier request."""
        now = self._clock.now()
        async with self._uow() as uow:
            earlier = await uow.idempotency_keys.claim(user_id, key, now)
            if (
                earlier is not None
                and earlier.state is IdempotencyState.IN_PROGRESS
                and earlier.order_id is None
                and await uow.idempotency_keys.take_over(user_id, key, now - ABANDONED_AFTER, now)
            ):
                earlier = None
            await uow.commit()
        return earlier

    async def _replay(self, earlier: IdempotencyRecord) -> CheckoutResult:
        in_progress = earlier.state is IdempotencyState.IN_PROGRESS
        if (in_progress and not earlier.is_abandoned(self._clock.now())) or earlier.order_id is None:
            raise IdempotencyKeyReused()
        async with self._uow() as uow:
            order = await uow.orders.get(earlier.order_id)
        if order is None:
            raise NotFound("order", earlier.order_id)
        # An abandoned checkout answers with its order as it stands (the webhook or the expiry
        # settles it); a finished one answers as it first did.
        if earlier.outcome is CheckoutOutcomeKind.DECLINED:
            raise PaymentDeclined(earlier.order_id)
        if earlier.outcome is CheckoutOutcomeKind.UNAVAILABLE:
            raise PaymentUnavailable(earlier.order_id)
        client_secret = earlier.client_secret if order.status is OrderStatus.PENDING else None
        return CheckoutResult(order=order, client_secret=client_secret)

    async def _complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None:
        async with self._uow() as uow:
            await uow.idempotency_keys.complete(user_id, key, outcome, client_secret)
            await uow.commit()

    async def _release(self, user_id: int, key: str) -> None:
        async with self._uow() as uow:
            await uow.idempotency_keys.release(user_id, key)
            await uow.commit()
