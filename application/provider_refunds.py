"""The provider's refund events (`charge.refunded`, `refund.updated`) on the orders they concern.

A refund the shop asked for is known by its provider refund id or its metadata refund_id: the event
settles it if it is still PENDING (an answer the shop never got), and never counts it twice. Any
other refund that gave money back was made outside the shop (the provider's dashboard): it is
recorded once per provider refund id, SUCCEEDED, with no restock."""

from __future__ import annotations

import logging
from datetime import datetime

from application.order_messages import record_refund_issued
from application.ports import PaymentEvent, ProviderRefund, RefundOutcome, UnitOfWork
from application.refund_order import REFUND_STATUS_OF, apply_settled_refund
from domain.ordering import Order, OrderStatus
from domain.refunds import Refund, RefundStatus

logger = logging.getLogger("bookshop.payments")

_GAVE_MONEY_BACK = frozenset({RefundOutcome.SUCCEEDED, RefundOutcome.PENDING})


async def record_provider_refunds(uow: UnitOfWork, event: PaymentEvent, now: datetime) -> int:
    """Apply each refund the event tells of; how many changed an order. The caller commits."""
    changed = 0
    for told in event.refunds:
        order = await _order_of(uow, told)
        if order is None:
            logger.warning("refund %s names no order of the shop; ignored", told.refund_id)
        elif order.status is OrderStatus.PENDING:
            logger.error("refund %s for order %s, which was never paid; ignored", told.refund_id, order.id)
        elif await _apply(uow, order, told, now):
            changed += 1
    return changed


async def _apply(uow: UnitOfWork, order: Order, told: ProviderRefund, now: datetime) -> bool:
    known = _known(order, told)
    status = REFUND_STATUS_OF[told.outcome]
    if known is not None:
        assert known.id is not None
        settled = order.settle_refund(known.id, status, now, told.refund_id)
        if settled is None:
            if known.status is RefundStatus.SUCCEEDED and status is RefundStatus.FAILED:
                logger.error(
                    "refund %s of order %s failed at the provider after it was accepted: the money "
                    "did not go back; staff must look into it",
                    told.refund_id,
                    order.id,
                )
            return False
        await apply_settled_refund(uow, order, settled, now)
        return True
    if told.outcome not in _GAVE_MONEY_BACK:
        return False
    made = order.record_refund_made_outside(
        amount_cents=told.amount_cents, now=now, provider_refund_id=told.refund_id, reason=told.reason
    )
    if made is None:
        return False
    logger.warning("order %s: %s refunded outside the shop (%s)", order.id, made.amount_cents, told.refund_id)
    made = await uow.refunds.add(made)
    await uow.orders.update_status(order)
    await record_refund_issued(uow, order, made, now)
    return True


def _known(order: Order, told: ProviderRefund) -> Refund | None:
    known = order.refund_made_as(told.refund_id)
    if known is None and told.shop_refund_id is not None:
        known = next((r for r in order.refunds if r.id == told.shop_refund_id), None)
    return known


async def _order_of(uow: UnitOfWork, told: ProviderRefund) -> Order | None:
    order = await uow.orders.get(told.order_id, for_update=True) if told.order_id is not None else None
    if order is None and told.payment_intent_id is not None:
        order = await uow.orders.get_by_payment_intent(told.payment_intent_id)
    if order is None:
        return None
    if None not in {order.payment_intent_id, told.payment_intent_id} and (
        order.payment_intent_id != told.payment_intent_id
    ):
        logger.warning("refund %s names order %s but another payment; ignored", told.refund_id, order.id)
        return None
    return order
