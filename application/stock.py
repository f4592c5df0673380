"""Moving stock: the domain's rule first, then the store's race-proof copy of it.

Product's stock methods (withdraw, replenish, adjust_stock, set_stock) are the one statement of the
stock rule. A use case applies a move to the product it read, so a refusal is the domain's, with
the error that says why. The store then makes the same move as one conditional statement: the copy
of the rule that holds under concurrent writers (the product read may be stale by then; the
adapter contract tests prove the two agree). When the store refuses, someone moved the shelf since
the read: the product is read again, locked, and the rule applied to it as it is now, which raises
the refusal; or, when stock came back meanwhile and the rule allows the move after all, the store
makes it, which it cannot refuse while the row is locked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from application.ports import UnitOfWork
from domain.catalog import Product
from domain.errors import ProductUnavailable

R = TypeVar("R")


async def move_stock(
    uow: UnitOfWork,
    product: Product,
    rule: Callable[[Product, int], None],
    store: Callable[[int, int], Awaitable[R | None]],
    amount: int,
) -> R:
    """`rule` is one of Product's stock methods and `store` the repository method making the same
    move (it answers False or None when it refused); e.g. `Product.withdraw` and
    `uow.products.withdraw_stock`. Returns what the store answered."""
    if product.id is None:
        raise ValueError("only a stored product's stock moves")
    rule(product, amount)
    moved = await store(product.id, amount)
    if moved:
        return moved
    now = await uow.products.get(product.id, for_update=True)
    if now is None:
        raise ProductUnavailable(product.id)
    rule(now, amount)
    moved = await store(product.id, amount)
    if moved:
        return moved
    raise RuntimeError(f"the store refused a stock move of product {product.id} that the domain allows")
