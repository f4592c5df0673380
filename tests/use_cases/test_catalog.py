"""Staff work on the catalogue, on every store."""

from __future__ import annotations

import pytest

from application.catalog import ChangeStock, CreateProduct, NewProduct, ProductChanges, UpdateProduct
from application.demo_catalogue import DEMO_BOOKS, LoadDemoCatalogue
from application.errors import NotFound
from application.ports import UnitOfWorkFactory
from domain.catalog import Series
from domain.errors import InsufficientStock, InvalidValue
from domain.values import MAX_INT32
from tests.fakes import FrozenClock

BOOK = NewProduct(
    title="Prince Caspian", series=Series.NARNIA, author="C. S. Lewis", price_cents=799, stock=5
)


async def _create(uow: UnitOfWorkFactory, book: NewProduct = BOOK) -> int:
    product = await CreateProduct(uow, FrozenClock())(book)
    assert product.id is not None
    return product.id


async def test_a_new_product_is_on_sale_with_what_staff_typed(uow: UnitOfWorkFactory) -> None:
    clock = FrozenClock()

    product = await CreateProduct(uow, clock)(BOOK)

    async with uow() as tx:
        stored = await tx.products.get(product.id or 0)
    assert stored is not None
    assert (stored.title, stored.series, stored.author) == ("Prince Caspian", Series.NARNIA, "C. S. Lewis")
    assert (stored.price_cents, stored.stock, stored.is_active) == (799, 5, True)
    assert stored.created_at == clock.now()


async def test_a_product_with_a_negative_price_is_refused_and_not_stored(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(InvalidValue) as refused:
        await CreateProduct(uow, FrozenClock())(
            NewProduct(title="Bad", series=Series.HP, author="Nobody", price_cents=-1)
        )

    assert refused.value.field == "price_cents"
    async with uow() as tx:
        assert await tx.products.get_many(range(1, 10)) == {}


async def test_update_changes_only_what_was_asked(uow: UnitOfWorkFactory) -> None:
    product_id = await _create(uow)

    updated = await UpdateProduct(uow)(product_id, ProductChanges(price_cents=899))

    assert (updated.title, updated.price_cents, updated.stock, updated.is_active) == (
        "Prince Caspian",
        899,
        5,
        True,
    )


async def test_deactivating_is_a_soft_delete_that_can_be_undone(uow: UnitOfWorkFactory) -> None:
    product_id = await _create(uow)
    update = UpdateProduct(uow)

    hidden = await update(product_id, ProductChanges(is_active=False))
    restored = await update(product_id, ProductChanges(is_active=True))

    assert not hidden.is_active
    assert restored.is_active
    assert restored.stock == 5


async def test_a_refused_update_changes_nothing(uow: UnitOfWorkFactory) -> None:
    product_id = await _create(uow)

    with pytest.raises(InvalidValue):
        await UpdateProduct(uow)(product_id, ProductChanges(title="A new title", price_cents=-5))

    async with uow() as tx:
        stored = await tx.products.get(product_id)
    assert stored is not None
    assert stored.title == "Prince Caspian"


async def test_updating_a_missing_product_is_not_found(uow: UnitOfWorkFactory) -> None:
    with pytest.raises(NotFound):
        await UpdateProduct(uow)(404, ProductChanges(title="Ghost"))


async def test_stock_is_set_or_moved(uow: UnitOfWorkFactory) -> None:
    product_id = await _create(uow)
    change = ChangeStock(uow)

    assert (await change(product_id, stock=12)).stock == 12
    assert (await change(product_id, delta=-2)).stock == 10
    assert (await change(product_id, delta=+3)).stock == 13


@pytest.mark.parametrize(("stock", "delta"), [(5, -6), (0, -1)])
async def test_stock_never_goes_below_zero(uow: UnitOfWorkFactory, stock: int, delta: int) -> None:
    product_id = await _create(uow)
    await ChangeStock(uow)(product_id, stock=stock)

    with pytest.raises(InsufficientStock) as refused:
        await ChangeStock(uow)(product_id, delta=delta)

    assert refused.value.available == stock
    async with uow() as tx:
        stored = await tx.products.get(product_id)
    assert stored is not None
    assert stored.stock == stock


async def test_stock_never_overflows_its_column(uow: UnitOfWorkFactory) -> None:
    product_id = await _create(uow)

    with pytest.raises(InvalidValue) as refused:
        await ChangeStock(uow)(product_id, delta=MAX_INT32)

    assert refused.value.field == "delta"


@pytest.mark.parametrize(("stock", "delta"), [(None, None), (3, 1)])
async def test_exactly_one_of_stock_or_delta(
    uow: UnitOfWorkFactory, stock: int | None, delta: int | None
) -> None:
    product_id = await _create(uow)

    with pytest.raises(InvalidValue):
        await ChangeStock(uow)(product_id, stock=stock, delta=delta)


@pytest.mark.parametrize(("stock", "delta"), [(3, None), (None, 1)])
async def test_changing_stock_of_a_missing_product_is_not_found(
    uow: UnitOfWorkFactory, stock: int | None, delta: int | None
) -> None:
    with pytest.raises(NotFound):
        await ChangeStock(uow)(404, stock=stock, delta=delta)


async def test_the_demo_catalogue_loads_once_and_respects_staff_changes(uow: UnitOfWorkFactory) -> None:
    load = LoadDemoCatalogue(uow, FrozenClock())

    first = await load()
    async with uow() as tx:
        caspian = await tx.products.find("Prince Caspian", Series.NARNIA)
    assert caspian is not None
    assert caspian.id is not None
    await ChangeStock(uow)(caspian.id, stock=0)
    second = await load()

    assert (first.added, first.already_there) == (14, 0)
    assert (second.added, second.already_there) == (0, 14)
    async with uow() as tx:
        after = await tx.products.find("Prince Caspian", Series.NARNIA)
        every = await tx.products.get_many(range(1, 30))
    assert after is not None
    assert after.stock == 0
    assert len(every) == 14
    assert sum(p.series is Series.HP for p in every.values()) == 7
    assert {p.author for p in every.values()} == {"J. K. Rowling", "C. S. Lewis"}
    assert len(DEMO_BOOKS) == 14
