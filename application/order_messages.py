"""The emails about an order, recorded in the transaction that changes it (application.outbox):
paid (a confirmation), shipped, failed (expired or cancelled: FailureReason.is_emailed) and each
refund that gave money back. Each has a key, so however often a path runs, or however many paths
race to settle one order, the customer gets it once. The templates are
adapters/email/templates/order_paid.*, order_shipped.*, order_failed.* and refund_issued.*.

Amounts go to the templates in cents with the order's currency (the `money` filter writes them);
the recipient is the order's owner, read in the same unit of work."""

from __future__ import annotations

from datetime import datetime

from application.outbox import ContextValue, OutboxMessage
from application.ports import UnitOfWork
from domain.ordering import Order
from domain.refunds import Refund


def order_paid(order: Order, recipient: str) -> OutboxMessage:
    """The confirmation: what was bought, where it goes, what it cost."""
    address = order.shipping_address
    context: dict[str, ContextValue] = {
        **_about(order),
        "lines": [
            {
                "title": item.title_snapshot,
                "quantity": item.quantity,
                "unit_price_cents": item.price_snapshot,
                "line_total_cents": item.line_total_cents,
            }
            for item in order.items
        ],
        "items_cents": order.total_amount_cents - order.shipping_cents,
        "shipping_cents": order.shipping_cents,
        "total_cents": order.total_amount_cents,
        "address": None
        if address is None
        else [
            line
            for line in (address.name, address.line1, address.line2, address.city, address.postal_code)
            if line
        ]
        + [address.country],
    }
    return OutboxMessage("order_paid", recipient, context, key=f"order-paid:{order.id}")


def order_shipped(order: Order, recipient: str) -> OutboxMessage:
    fulfilment = order.fulfilment
    context: dict[str, ContextValue] = {
        **_about(order),
        "carrier": fulfilment.carrier,
        "tracking_number": fulfilment.tracking_number,
    }
    return OutboxMessage("order_shipped", recipient, context, key=f"order-shipped:{order.id}")


def order_failed(order: Order, recipient: str) -> OutboxMessage:
    reason = order.failure_reason
    context: dict[str, ContextValue] = {**_about(order), "reason": None if reason is None else reason.value}
    return OutboxMessage("order_failed", recipient, context, key=f"order-failed:{order.id}")


def refund_issued(order: Order, refund: Refund, recipient: str) -> OutboxMessage:
    """One per refund that gave money back, with what went back on the shelf, if anything."""
    titles = {item.product_id: item.title_snapshot for item in order.items}
    context: dict[str, ContextValue] = {
        **_about(order),
        "refund_id": refund.id,
        "amount_cents": refund.amount_cents,
        "refunded_cents": order.refunded_cents,
        "total_cents": order.total_amount_cents,
        "restocked": [
            {"title": titles.get(line.product_id, f"product {line.product_id}"), "quantity": line.quantity}
            for line in refund.restocked
        ],
    }
    return OutboxMessage("refund_issued", recipient, context, key=f"refund:{refund.id}")


async def customer_email(uow: UnitOfWork, order: Order) -> str:
    """Where the emails about `order` go: its owner's address, read in the caller's transaction."""
    owner = await uow.users.get(order.user_id)
    if owner is None:  # users are deactivated, never deleted: an order always has its owner
        raise LookupError(f"order {order.id} names no user {order.user_id}")
    return owner.email


async def record_refund_issued(uow: UnitOfWork, order: Order, refund: Refund, now: datetime) -> None:
    """Every refund that gave money back is emailed, whoever made it (staff through the shop, the
    provider's dashboard, the automatic refund of a late payment); the refund is stored (has an id)."""
    await uow.outbox.add(refund_issued(order, refund, await customer_email(uow, order)), now)


def _about(order: Order) -> dict[str, ContextValue]:
    return {"order_id": order.id, "currency": order.currency}
