"""Refunds: money given back on an order, by staff through the provider or outside the shop.

A refund is PENDING from the moment staff ask for it until the provider answers: while PENDING it
holds its amount, so two refunds asked at once can never together give back more than was paid.
SUCCEEDED refunds are what the order's `refunded_cents` counts; a FAILED one gave nothing back.
The rules that involve the order (what is left to refund, what may go back on the shelf) are
Order's methods (domain.ordering); this module holds the refund itself and the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import DomainError, InvalidValue
from domain.values import require_count, require_utc

REASON_MAX_LENGTH = 500


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    """Asked for; the provider's answer is not known yet. Its amount is held."""
    SUCCEEDED = "SUCCEEDED"
    """The provider gave the money back (or accepted to: a bank may take days)."""
    FAILED = "FAILED"
    """Nothing was given back."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestockLine:
    """Units of a product the refund puts back on the shelf."""

    product_id: int
    quantity: int

    def __post_init__(self) -> None:
        _require_positive("product_id", self.product_id)
        require_count("quantity", self.quantity, minimum=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Refund:
    """Frozen: a change of state is a new Refund (`settled`), which the order takes in its place."""

    order_id: int
    amount_cents: int
    created_at: datetime
    status: RefundStatus = RefundStatus.PENDING
    reason: str | None = None
    restocked: tuple[RestockLine, ...] = ()
    idempotency_key: str | None = None
    """The Idempotency-Key staff sent, if any: the same key from the same person is the same refund."""
    requested_by: int | None = None
    """The staff member who asked for it; None for a refund made outside the shop or automatically."""
    provider_refund_id: str | None = None
    updated_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        _require_positive("amount_cents", self.amount_cents)
        require_utc("created_at", self.created_at)
        if self.reason is not None and len(self.reason) > REASON_MAX_LENGTH:
            raise InvalidValue("reason", f"must be at most {REASON_MAX_LENGTH} characters")

    @property
    def holds_money(self) -> bool:
        """PENDING holds its amount, SUCCEEDED gave it back; only a FAILED refund frees it."""
        return self.status is not RefundStatus.FAILED

    def is_asked_again(self, requested_by: int | None, idempotency_key: str | None) -> bool:
        return idempotency_key is not None and (self.requested_by, self.idempotency_key) == (
            requested_by,
            idempotency_key,
        )

    def settled(self, status: RefundStatus, now: datetime, provider_refund_id: str | None = None) -> Refund:
        return Refund(
            order_id=self.order_id,
            amount_cents=self.amount_cents,
            created_at=self.created_at,
            status=status,
            reason=self.reason,
            restocked=self.restocked,
            idempotency_key=self.idempotency_key,
            requested_by=self.requested_by,
            provider_refund_id=self.provider_refund_id or provider_refund_id,
            updated_at=now,
            id=self.id,
        )


class OrderNotRefundable(DomainError):
    def __init__(self, order_id: int | None, status: str) -> None:
        super().__init__(f"order {order_id} is {status}: only a PAID order can be refunded")
        self.order_id = order_id


class RefundExceedsPayment(DomainError):
    def __init__(self, requested: int | None, left: int) -> None:
        super().__init__(
            f"{left} cents are left to refund on this order"
            + ("" if requested is None else f"; {requested} were asked for")
        )
        self.requested = requested
        self.left = left


def merged(lines: Iterable[RestockLine]) -> tuple[RestockLine, ...]:
    """One line per product (quantities added up), by product id."""
    totals: dict[int, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return tuple(RestockLine(product_id=p, quantity=q) for p, q in sorted(totals.items()))


def restockable(held: Mapping[int, int], refunds: Iterable[Refund]) -> dict[int, int]:
    """How many units of each product may still go back on the shelf: what the order holds, less
    what its refunds that hold money (PENDING, SUCCEEDED) put back or will."""
    left = dict(held)
    for refund in refunds:
        if refund.holds_money:
            for line in refund.restocked:
                left[line.product_id] = left.get(line.product_id, 0) - line.quantity
    return left


def check_restock(lines: tuple[RestockLine, ...], left: Mapping[int, int]) -> None:
    for line in lines:
        available = left.get(line.product_id, 0)
        if line.quantity > available:
            raise InvalidValue(
                "restock",
                f"product {line.product_id}: at most {max(available, 0)} more units of this order "
                f"can go back on the shelf; {line.quantity} were asked for",
            )


def _require_positive(field: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(field, "must be a whole number of at least 1")
