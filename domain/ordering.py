"""Orders: what was bought, at which price, and whether it was paid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.cart import Cart
from domain.catalog import Product
from domain.errors import CartEmpty, InvalidTransition, InvalidValue, ProductUnavailable
from domain.values import require_count, require_text, require_utc

MAX_ORDER_TOTAL_CENTS = 9_223_372_036_854_775_807


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.PENDING


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderItem:
    """A line as it was sold. Frozen: what happens to the product later never reaches the order."""

    product_id: int | None
    title_snapshot: str
    price_snapshot: int
    quantity: int

    def __post_init__(self) -> None:
        require_count("price_snapshot", self.price_snapshot)
        require_count("quantity", self.quantity, minimum=1)

    @property
    def line_total_cents(self) -> int:
        return self.price_snapshot * self.quantity


@dataclass(eq=False, slots=True, kw_only=True)
class Order:
    user_id: int
    currency: str
    items: tuple[OrderItem, ...]
    created_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    updated_at: datetime | None = None
    payment_intent_id: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise InvalidValue("items", "an order holds at least one item")
        self.items = tuple(self.items)
        self.currency = require_text("currency", self.currency, max_length=3).lower()
        require_utc("created_at", self.created_at)
        if self.total_amount_cents > MAX_ORDER_TOTAL_CENTS:
            raise InvalidValue("total_amount_cents", "the order total is too large")

    @classmethod
    def place(
        cls,
        user_id: int,
        cart: Cart,
        products: Mapping[int, Product],
        currency: str,
        now: datetime,
    ) -> Order:
        """A PENDING order holding the cart at today's prices. Refuses an empty cart, a product no
        longer sold and a line the shelf cannot fill; it does not move stock itself."""
        if cart.is_empty:
            raise CartEmpty()
        items = []
        for line in cart.lines_by_product_id():
            product = products.get(line.product_id)
            if product is None:
                raise ProductUnavailable(line.product_id)
            product.ensure_can_supply(line.quantity)
            items.append(
                OrderItem(
                    product_id=line.product_id,
                    title_snapshot=product.title,
                    price_snapshot=product.price_cents,
                    quantity=line.quantity,
                )
            )
        return cls(user_id=user_id, currency=currency, items=tuple(items), created_at=now, updated_at=now)

    @property
    def total_amount_cents(self) -> int:
        """Always the sum of the snapshots: there is no other total to drift from."""
        return sum(item.line_total_cents for item in self.items)

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    def mark_paid(self, now: datetime) -> None:
        self._move_to(OrderStatus.PAID, now)

    def mark_failed(self, now: datetime) -> None:
        self._move_to(OrderStatus.FAILED, now)

    def _move_to(self, target: OrderStatus, now: datetime) -> None:
        if self.status is not OrderStatus.PENDING:
            raise InvalidTransition(self.status.value, target.value)
        self.status = target
        self.updated_at = now
