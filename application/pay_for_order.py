"""A customer pays again for an order still PENDING (a card declined, 3-D Secure abandoned).

Like checkout, no database lock is held while the provider is asked: the order is read, the
charge made, then the order is locked and settled in one transaction. The order's existing
payment intent is confirmed again with the new payment method, never a second intent created, so
the customer is never charged twice for one order; only an order whose checkout never named an
intent gets one now."""

from __future__ import annotations

import hashlib
import uuid

from application.checkout import PAYMENT_METHOD_MAX_LENGTH, provider_idempotency_key
from application.errors import IdempotencyKeyReused, NotFound, PaymentDeclined, PaymentUnavailable
from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord, IdempotencyState
from application.idempotent_checkout import IDEMPOTENCY_KEY_MAX_LENGTH
from application.order_settlement import settle_order
from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    Clock,
    PayAgainRequest,
    PaymentProvider,
    UnitOfWorkFactory,
)
from domain.errors import DomainError
from domain.ordering import FailureReason, Order, PaymentOutcome
from domain.values import require_token

PAID_FOR_AGAIN = "paid for again"


def attempt_idempotency_key(order_id: int, client_key: str | None) -> str:
    """The provider's idempotency key for one attempt to pay an order again: never the checkout's
    (the provider would replay its first answer), the same for a retried request with the same
    Idempotency-Key (never a second charge), a fresh one for each attempt without."""
    attempt = uuid.uuid4().hex if client_key is None else _digest(client_key)[:32]
    return f"{provider_idempotency_key(order_id)}-pay-{attempt}"


def _stored_key(order_id: int, client_key: str) -> str:
    """The shop's record of a request's Idempotency-Key, per order (kept with the checkouts')."""
    return f"pay-order-{order_id}-{_digest(client_key)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PayForOrder:
    """A customer pays for one of their PENDING orders with a payment method.

    - Someone else's order, or none, is not found; a PAID or FAILED one is refused
      (OrderNotPending), nothing charged.
    - Paid: the order is PAID. The customer must act (3-D Secure): it stays PENDING with the
      client secret their client needs. Declined: PaymentDeclined, and the order stays PENDING with
      its stock, for another attempt (unlike a checkout's decline). The provider unreachable or
      unclear: PaymentUnavailable, the order unchanged (its webhook or the expiry settles it).
    - The same Idempotency-Key from the same customer for the same order gets the first answer
      again (never a second charge); while the first is running, IdempotencyKeyReused.
    """

    def __init__(self, uow: UnitOfWorkFactory, provider: PaymentProvider, clock: Clock) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock

    async def __call__(
        self, user_id: int, order_id: int, payment_method_id: str, idempotency_key: str | None = None
    ) -> Order:
        require_token("payment_method_id", payment_method_id, max_length=PAYMENT_METHOD_MAX_LENGTH)
        key = (
            None
            if idempotency_key is None
            else require_token("Idempotency-Key", idempotency_key, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        )
        order = await self._own_order(user_id, order_id)
        if key is None:
            return await self._pay(order, payment_method_id, attempt_idempotency_key(order_id, None))
        earlier = await self._claim(user_id, order_id, key)
        if earlier is not None:
            return await self._replay(user_id, order_id, earlier)
        stored = _stored_key(order_id, key)
        try:
            paid = await self._pay(order, payment_method_id, attempt_idempotency_key(order_id, key))
        except PaymentDeclined:
            await self._complete(user_id, stored, CheckoutOutcomeKind.DECLINED)
            raise
        except PaymentUnavailable:
            await self._complete(user_id, stored, CheckoutOutcomeKind.UNAVAILABLE)
            raise
        except (DomainError, NotFound):
            await self._release(user_id, stored)
            raise
        await self._complete(user_id, stored, CheckoutOutcomeKind.ORDER)
        return paid

    async def _own_order(self, user_id: int, order_id: int) -> Order:
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.user_id != user_id:
            raise NotFound("order", order_id)
        return order

    async def _pay(self, order: Order, payment_method_id: str, attempt_key: str) -> Order:
        assert order.id is not None
        order.ensure_pending(PAID_FOR_AGAIN)
        if order.payment_intent_id is not None:
            charge = await self._provider.pay_again(
                PayAgainRequest(
                    payment_intent_id=order.payment_intent_id,
                    payment_method_id=payment_method_id,
                    idempotency_key=attempt_key,
                    order_id=order.id,
                )
            )
        else:
            charge = await self._provider.charge(
                ChargeRequest(
                    order_id=order.id,
                    amount_cents=order.total_amount_cents,
                    currency=order.currency,
                    payment_method_id=payment_method_id,
                    idempotency_key=attempt_key,
                )
            )
        settled = await self._settle(order.id, charge)
        if charge.outcome is ChargeOutcome.DECLINED:
            raise PaymentDeclined(order.id, charge.message)
        if charge.outcome in {ChargeOutcome.UNAVAILABLE, ChargeOutcome.UNKNOWN}:
            raise PaymentUnavailable(order.id)
        return settled

    async def _settle(self, order_id: int, charge: ChargeResult) -> Order:
        """Only a success moves the order (to PAID, if nobody settled it meanwhile: a success for
        an order FAILED meanwhile is refunded when the provider's webhook for it comes); anything
        else leaves it PENDING with its stock, naming the intent the attempt made, if any."""
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("order", order_id)
            order.link_payment(charge.payment_intent_id)
            if charge.outcome is ChargeOutcome.SUCCEEDED:
                await settle_order(uow, order, PaymentOutcome.RECEIVED, now, FailureReason.DECLINED)
            elif charge.outcome is ChargeOutcome.REQUIRES_ACTION:
                order.await_customer(charge.client_secret)
            await uow.orders.update_status(order)
            await uow.commit()
        return order

    async def _claim(self, user_id: int, order_id: int, key: str) -> IdempotencyRecord | None:
        """None when this request owns the key now; else the record of the earlier request."""
        stored = _stored_key(order_id, key)
        async with self._uow() as uow:
            earlier = await uow.idempotency_keys.claim(user_id, stored, self._clock.now())
            if earlier is None:
                await uow.idempotency_keys.attach_order(user_id, stored, order_id)
            await uow.commit()
        return earlier

    async def _replay(self, user_id: int, order_id: int, earlier: IdempotencyRecord) -> Order:
        if earlier.state is IdempotencyState.IN_PROGRESS and not earlier.is_abandoned(self._clock.now()):
            raise IdempotencyKeyReused()
        if earlier.outcome is CheckoutOutcomeKind.DECLINED:
            raise PaymentDeclined(order_id)
        if earlier.outcome is CheckoutOutcomeKind.UNAVAILABLE:
            raise PaymentUnavailable(order_id)
        # Paid, awaiting the customer, or cut off (a crash): the order as it stands now.
        return await self._own_order(user_id, order_id)

    async def _complete(self, user_id: int, stored: str, outcome: CheckoutOutcomeKind) -> None:
        async with self._uow() as uow:
            await uow.idempotency_keys.complete(user_id, stored, outcome, None)
            await uow.commit()

    async def _release(self, user_id: int, stored: str) -> None:
        async with self._uow() as uow:
            await uow.idempotency_keys.release(user_id, stored)
            await uow.commit()
