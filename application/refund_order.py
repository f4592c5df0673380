"""Staff give money back on a paid order, in full or in part, and may put units back on the shelf.

Record → call → settle, as the checkout does, so no database lock is held while the provider works:
1. record — one transaction: the order is locked, Order.ask_refund checks the rules, and a PENDING
   refund is written, holding its amount (concurrent refunds of one order see it and never add up
   to more than was paid);
2. call — the provider's refund API, with an idempotency key derived from the refund's own id;
3. settle — one transaction: SUCCEEDED (or accepted by the provider, on its way to the bank) adds
   the amount to the order's `refunded_cents` and puts the restocked units back (return_stock, so
   the catalogue version moves on); refused or unreachable makes the refund FAILED, nothing given
   back; no clear answer keeps it PENDING (its amount held) until the same request comes again or
   the provider's refund event settles it (SettlePayment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.errors import NotFound, RefundNotMade, RefundRefused
from application.order_messages import record_refund_issued
from application.ports import (
    Clock,
    PaymentProvider,
    RefundOutcome,
    RefundRequest,
    RefundResult,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.ordering import Order
from domain.refunds import OrderNotRefundable, Refund, RefundStatus, RestockLine
from domain.values import require_text, require_token

IDEMPOTENCY_KEY_MAX_LENGTH = 255

REFUND_STATUS_OF = {
    RefundOutcome.SUCCEEDED: RefundStatus.SUCCEEDED,
    RefundOutcome.PENDING: RefundStatus.SUCCEEDED,  # accepted: the money is on its way back
    RefundOutcome.REFUSED: RefundStatus.FAILED,
    RefundOutcome.ALREADY_REFUNDED: RefundStatus.FAILED,
    RefundOutcome.UNAVAILABLE: RefundStatus.FAILED,
    RefundOutcome.UNKNOWN: RefundStatus.PENDING,  # it may have been made: ask again with the same key
}
"""What the provider's answer makes of a refund."""


def provider_refund_key(refund_id: int) -> str:
    """One provider refund per refund: however often it is retried, the money goes back once."""
    return f"bookshop-refund-{refund_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundAsked:
    """What staff ask for (see RefundOrder)."""

    order_id: int
    staff_id: int
    amount_cents: int | None = None
    """None: all that is left."""
    reason: str | None = None
    restock: tuple[RestockLine, ...] = ()
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class _Recorded:
    refund: Refund
    payment_intent_id: str
    currency: str


class RefundOrder:
    """Staff refund an order.

    - Only a PAID order (OrderNotRefundable); never more than the total less what was refunded and
      what PENDING refunds hold (RefundExceedsPayment); by default all that is left; restock at
      most what the order holds of each product, counting earlier refunds' restocks (400).
    - The provider refunds with the key `bookshop-refund-<id>`: SUCCEEDED → the order's
      `refunded_cents` grows and the restocked units are back on the shelf; unreachable →
      RefundNotMade (503), the refund FAILED; refused → RefundRefused (402), FAILED; nothing left
      at the provider (refunded outside the shop) → RefundRefused too; no clear answer →
      RefundNotMade, the refund stays PENDING.
    - The same Idempotency-Key from the same staff member for the same order is the same refund:
      no second provider call, unless it is still PENDING, in which case the provider is asked
      again with the same provider key (it refunds once) and the refund settled. A replay answers
      with the refund as it stands (a FAILED one is not retried: use a new key).
    """

    def __init__(self, uow: UnitOfWorkFactory, provider: PaymentProvider, clock: Clock) -> None:
        self._uow = uow
        self._provider = provider
        self._clock = clock

    async def __call__(self, asked: RefundAsked) -> Refund:
        if asked.idempotency_key is not None:
            require_token("Idempotency-Key", asked.idempotency_key, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        recorded, replayed = await self._record(asked)
        if recorded.refund.status is not RefundStatus.PENDING:
            return recorded.refund
        result = await self._provider.refund(_request(recorded))
        refund = await self._settle(recorded.refund, result)
        if replayed and refund.status is not RefundStatus.PENDING:
            return refund
        return _answer(refund, result)

    async def _record(self, asked: RefundAsked) -> tuple[_Recorded, bool]:
        reason = None if asked.reason is None else require_text("reason", asked.reason, max_length=500)
        now = self._clock.now()
        async with self._uow() as uow:
            order = await _locked(uow, asked.order_id)
            if order.payment_intent_id is None:
                raise OrderNotRefundable(order.id, "not paid through the payment provider")
            known = order.refund_asked_with(asked.staff_id, asked.idempotency_key)
            if known is not None:
                return _Recorded(known, order.payment_intent_id, order.currency), True
            refund = order.ask_refund(
                amount_cents=asked.amount_cents,
                now=now,
                reason=reason,
                restock=asked.restock,
                requested_by=asked.staff_id,
                idempotency_key=asked.idempotency_key,
            )
            refund = await uow.refunds.add(refund)
            await uow.commit()
        return _Recorded(refund, order.payment_intent_id, order.currency), False

    async def _settle(self, refund: Refund, result: RefundResult) -> Refund:
        assert refund.id is not None
        now = self._clock.now()
        async with self._uow() as uow:
            order = await _locked(uow, refund.order_id)
            settled = order.settle_refund(refund.id, REFUND_STATUS_OF[result.outcome], now, result.refund_id)
            if settled is None:  # still PENDING, or settled meanwhile by the provider's event
                return next(r for r in order.refunds if r.id == refund.id)
            await apply_settled_refund(uow, order, settled, now)
            await uow.commit()
        return settled


async def apply_settled_refund(uow: UnitOfWork, order: Order, settled: Refund, now: datetime) -> None:
    """Write a refund Order.settle_refund moved, and when it SUCCEEDED put its units back on the
    shelf (in ascending product id, the order in which every path locks products) and record the
    customer's email about it."""
    if settled.status is RefundStatus.SUCCEEDED:
        for line in settled.restocked:
            await uow.products.return_stock(line.product_id, line.quantity)
        await record_refund_issued(uow, order, settled, now)
    await uow.refunds.update(settled)
    await uow.orders.update_status(order)


async def _locked(uow: UnitOfWork, order_id: int) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound("order", order_id)
    return order


def _request(recorded: _Recorded) -> RefundRequest:
    refund = recorded.refund
    assert refund.id is not None
    return RefundRequest(
        payment_intent_id=recorded.payment_intent_id,
        amount_cents=refund.amount_cents,
        currency=recorded.currency,
        idempotency_key=provider_refund_key(refund.id),
        order_id=refund.order_id,
        refund_id=refund.id,
    )


def _answer(refund: Refund, result: RefundResult) -> Refund:
    assert refund.id is not None
    if refund.status is RefundStatus.SUCCEEDED:
        return refund
    if result.outcome in {RefundOutcome.REFUSED, RefundOutcome.ALREADY_REFUNDED}:
        raise RefundRefused(refund.order_id, refund.id, result.message)
    raise RefundNotMade(refund.order_id, refund.id, pending=refund.status is RefundStatus.PENDING)
