"""How much one customer may hold at once.

Without limits one free account can reserve the whole shelf: put every book in the cart at full
stock, check out without paying (the order stays PENDING and keeps the stock until it expires),
and start again. A cap on each line and on the unpaid orders a customer holds bounds what one
account can take off the shelf to `max_quantity_per_line` x lines x `max_pending_orders`."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import QuantityAboveLimit, TooManyPendingOrders
from domain.values import require_count


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseLimits:
    max_quantity_per_line: int
    max_pending_orders: int
    """Unpaid (PENDING) orders one customer may hold; checking out once more is refused."""

    def __post_init__(self) -> None:
        require_count("max_quantity_per_line", self.max_quantity_per_line, minimum=1)
        require_count("max_pending_orders", self.max_pending_orders, minimum=1)

    def ensure_line_allowed(self, product_id: int, quantity: int) -> None:
        """A cart line, or an order line, holds at most `max_quantity_per_line` units."""
        if quantity > self.max_quantity_per_line:
            raise QuantityAboveLimit(product_id, quantity, self.max_quantity_per_line)

    def ensure_may_place_order(self, pending_orders: int) -> None:
        """A customer holding `max_pending_orders` unpaid orders must pay or cancel one first."""
        if pending_orders >= self.max_pending_orders:
            raise TooManyPendingOrders(self.max_pending_orders)
