"""What the shop sells: books, their price and the stock on the shelf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import InsufficientStock, InvalidValue, ProductUnavailable
from domain.values import MAX_INT32, require_choice, require_count, require_text, require_utc

TITLE_MAX_LENGTH = 200
AUTHOR_MAX_LENGTH = 200


class Series(StrEnum):
    HP = "HP"
    NARNIA = "NARNIA"


@dataclass(eq=False, slots=True, kw_only=True)
class Product:
    title: str
    series: Series
    author: str
    price_cents: int
    stock: int
    created_at: datetime
    is_active: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        self.title = require_text("title", self.title, max_length=TITLE_MAX_LENGTH)
        self.author = require_text("author", self.author, max_length=AUTHOR_MAX_LENGTH)
        self.series = require_choice("series", Series, self.series)
        require_count("price_cents", self.price_cents)
        require_count("stock", self.stock)
        require_utc("created_at", self.created_at)

    def revise(
        self,
        *,
        title: str | None = None,
        series: Series | None = None,
        author: str | None = None,
        price_cents: int | None = None,
    ) -> None:
        """Change the catalogue details, all or none: every value is checked before any is set.
        Stock is not a detail: it moves only through the stock rules."""
        new_title = self.title if title is None else require_text("title", title, max_length=TITLE_MAX_LENGTH)
        new_series = self.series if series is None else require_choice("series", Series, series)
        new_author = (
            self.author if author is None else require_text("author", author, max_length=AUTHOR_MAX_LENGTH)
        )
        new_price = self.price_cents if price_cents is None else require_count("price_cents", price_cents)
        self.title, self.series, self.author, self.price_cents = new_title, new_series, new_author, new_price

    def deactivate(self) -> None:
        """The soft delete: the product leaves the shop window but stays in every order that holds it."""
        self.is_active = False

    def restore(self) -> None:
        self.is_active = True

    # The stock rule: stock never goes below zero nor above MAX_INT32 (its column's bound), and
    # nothing is taken from a product that is no longer sold. These methods are its one statement.
    # The store makes the same moves atomically (ProductRepository: conditional UPDATEs, a CHECK
    # constraint behind them) so that the rule holds under concurrent writers; use cases apply a
    # move here first and let the store repeat it (application.stock.move_stock).

    def can_supply(self, quantity: int) -> bool:
        return self.is_active and self.stock >= quantity

    def ensure_can_supply(self, quantity: int) -> None:
        if not self.is_active:
            raise ProductUnavailable(self._id)
        if self.stock < quantity:
            raise InsufficientStock(self._id, quantity, self.stock)

    def withdraw(self, quantity: int) -> None:
        """Take quantity off the shelf for an order: only from a product on sale, only what it holds."""
        require_count("quantity", quantity, minimum=1)
        self.ensure_can_supply(quantity)
        self.stock -= quantity

    def replenish(self, quantity: int) -> None:
        """Put quantity back on the shelf (its order failed), on sale or not."""
        require_count("quantity", quantity, minimum=1)
        if self.stock + quantity > MAX_INT32:
            raise InvalidValue("stock", f"must be at most {MAX_INT32}")
        self.stock += quantity

    def adjust_stock(self, delta: int) -> None:
        """Staff move stock by delta (either sign, on sale or not); never below zero nor above
        MAX_INT32."""
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidValue("delta", "must be a whole number")
        if self.stock + delta < 0:
            raise InsufficientStock(self._id, -delta, self.stock)
        if self.stock + delta > MAX_INT32:
            raise InvalidValue("delta", f"stock would exceed {MAX_INT32}")
        self.stock += delta

    def set_stock(self, stock: int) -> None:
        """Staff count the shelf: stock becomes a count from 0 to MAX_INT32."""
        self.stock = require_count("stock", stock)

    @property
    def _id(self) -> int:
        return self.id if self.id is not None else 0
