"""An order takes what became of its payment: written once, for the checkout, the provider's
webhooks and the expiry alike (and what comes next: refunds, cancellation, paying again)."""

from __future__ import annotations

from datetime import datetime

from application.order_messages import customer_email, order_failed, order_paid
from application.ports import UnitOfWork
from domain.ordering import FailureReason, Order, PaymentOutcome, Settled


async def settle_order(
    uow: UnitOfWork, order: Order, outcome: PaymentOutcome, now: datetime, failure_reason: FailureReason
) -> Settled:
    """Order.settle (the rule), and when that FAILED the order, every unit back on the shelf, in
    ascending product id (the order in which buyers take stock, so the two never deadlock). The
    customer's email (the confirmation when PAID; when FAILED, only if FailureReason.is_emailed)
    is recorded in the same transaction, so it goes out exactly when the caller commits. The
    caller locked the order and writes its status."""
    settled = order.settle(outcome, now, failure_reason)
    if settled is Settled.FAILED:
        for item in sorted(order.items, key=lambda i: i.product_id or 0):
            if item.product_id is not None:
                await uow.products.return_stock(item.product_id, item.quantity)
        if failure_reason.is_emailed:
            await uow.outbox.add(order_failed(order, await customer_email(uow, order)), now)
    elif settled is Settled.PAID:
        await uow.outbox.add(order_paid(order, await customer_email(uow, order)), now)
    return settled
