"""A unit of work left without commit changes nothing, whatever its first statement was: on
PostgreSQL the hot statements go straight to the driver, and must still be inside the transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from application.ports import UnitOfWorkFactory
from domain.catalog import Product, Series
from domain.identity import User

NOW = datetime(2026, 11, 1, tzinfo=UTC)


async def _book(uow: UnitOfWorkFactory, stock: int) -> int:
    async with uow() as tx:
        product = await tx.products.add(
            Product(
                title="the last battle",
                series=Series.NARNIA,
                author="C. S. Lewis",
                price_cents=100,
                stock=stock,
                is_active=True,
                created_at=NOW,
            )
        )
        await tx.commit()
    return product.id or 0


async def test_stock_taken_first_thing_in_an_uncommitted_unit_of_work_is_back_on_the_shelf(
    uow: UnitOfWorkFactory,
) -> None:
    book = await _book(uow, stock=3)

    async with uow() as tx:
        assert await tx.products.withdraw_stock(book, 2)
        await tx.products.return_stock(book, 10)

    async with uow() as tx:
        found = await tx.products.get(book)
    assert found is not None
    assert found.stock == 3


async def test_a_cart_locked_first_thing_in_an_uncommitted_unit_of_work_is_not_created(
    uow: UnitOfWorkFactory,
) -> None:
    async with uow() as tx:
        user = await tx.users.add(
            User(email="reader@example.com", password_hash="$argon2id$not-a-real-hash", created_at=NOW)
        )
        await tx.commit()

    async with uow() as tx:
        await tx.carts.get_for_update(user.id or 0, NOW)

    async with uow() as tx:
        assert await tx.carts.get_for_user(user.id or 0) is None
