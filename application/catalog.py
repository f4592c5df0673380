"""The back office's catalogue work: adding books, revising them, moving stock."""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import NotFound
from application.ports import Clock, UnitOfWorkFactory
from application.stock import move_stock
from domain.catalog import Product, Series
from domain.errors import InvalidValue


@dataclass(frozen=True, slots=True, kw_only=True)
class NewProduct:
    title: str
    series: Series
    author: str
    price_cents: int
    stock: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductChanges:
    """What a PATCH asked to change; None leaves a field as it is."""

    title: str | None = None
    series: Series | None = None
    author: str | None = None
    price_cents: int | None = None
    is_active: bool | None = None


class CreateProduct:
    """Staff add a book to the catalogue. It is on sale (active) at once."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, new: NewProduct) -> Product:
        product = Product(
            title=new.title,
            series=new.series,
            author=new.author,
            price_cents=new.price_cents,
            stock=new.stock,
            created_at=self._clock.now(),
        )
        async with self._uow() as uow:
            await uow.products.add(product)
            await uow.commit()
        return product


class UpdateProduct:
    """Staff revise a book's details, withdraw it from sale (is_active false, the soft delete) or
    put it back. All requested changes are made or none. Stock is not touched here, and orders
    keep the title and price they were placed with."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, product_id: int, changes: ProductChanges) -> Product:
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise NotFound("product", product_id)
            product.revise(
                title=changes.title,
                series=changes.series,
                author=changes.author,
                price_cents=changes.price_cents,
            )
            if changes.is_active is True:
                product.restore()
            elif changes.is_active is False:
                product.deactivate()
            stored = await uow.products.update_details(product)
            await uow.commit()
        return stored


class ChangeStock:
    """Staff set a book's stock, or move it by a delta after a delivery or a count.

    - Exactly one of `stock` (absolute) or `delta` (relative) is given.
    - A delta is one atomic step in the store, so concurrent deltas all count.
    - Stock never goes below zero (Product's stock rule): such a change is refused and nothing moves.
    """

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, product_id: int, *, stock: int | None = None, delta: int | None = None
    ) -> Product:
        if stock is not None and delta is None:
            setting, amount = True, stock
        elif delta is not None and stock is None:
            setting, amount = False, delta
        else:
            raise InvalidValue("stock", "give exactly one of `stock` (set) or `delta` (adjust)")
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise NotFound("product", product_id)
            if setting:
                changed = await move_stock(uow, product, Product.set_stock, uow.products.set_stock, amount)
            else:
                changed = await move_stock(
                    uow, product, Product.adjust_stock, uow.products.adjust_stock, amount
                )
            await uow.commit()
        return changed
