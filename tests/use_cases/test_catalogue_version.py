"""The catalogue version moves with every committed change to the catalogue, on every store, and
with nothing else: it is what tells a cache that its answers are out of date."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from application.catalog import ChangeStock, CreateProduct, NewProduct, ProductChanges, UpdateProduct
from application.errors import PaymentDeclined
from application.ports import ChargeOutcome, ChargeRequest, ChargeResult, UnitOfWorkFactory
from domain.catalog import Series
from domain.errors import InsufficientStock
from tests.conftest import Backend
from tests.fakes import FrozenClock, ScriptedPaymentProvider
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

BOOK = NewProduct(
    title="Prince Caspian", series=Series.NARNIA, author="C. S. Lewis", price_cents=799, stock=5
)


async def moves(backend: Backend, step: Callable[[], Awaitable[object]]) -> bool:
    before = await backend.version.current()
    await step()
    return await backend.version.current() != before


async def test_every_change_staff_make_to_the_catalogue_moves_the_version(backend: Backend) -> None:
    uow = backend.uow
    product_id = 0

    async def create() -> None:
        nonlocal product_id
        product_id = (await CreateProduct(uow, FrozenClock())(BOOK)).id or 0

    update, change_stock = UpdateProduct(uow), ChangeStock(uow)
    steps: dict[str, Callable[[], Awaitable[object]]] = {
        "create": create,
        "price": lambda: update(product_id, ProductChanges(price_cents=899)),
        "deactivate": lambda: update(product_id, ProductChanges(is_active=False)),
        "restore": lambda: update(product_id, ProductChanges(is_active=True)),
        "set stock": lambda: change_stock(product_id, stock=9),
        "adjust stock": lambda: change_stock(product_id, delta=-2),
    }

    assert {name: await moves(backend, step) for name, step in steps.items()} == dict.fromkeys(steps, True)


class VersionAtCharge(ScriptedPaymentProvider):
    """Declines every charge, after noting the catalogue version at the time (stock reserved)."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(ChargeOutcome.DECLINED)
        self._backend = backend
        self.seen: list[int] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.seen.append(await self._backend.version.current())
        return await super().charge(request)


async def test_a_checkout_moves_it_and_the_stock_a_declined_payment_gives_back_moves_it_again(
    backend: Backend, uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = VersionAtCharge(backend)
    shop = make_shop(uow, provider, clock)
    ann = await shop.customer()
    book = await shop.book("The Silver Chair", stock=5)
    await shop.add_to_cart(ann, book, 2)
    before = await backend.version.current()

    with pytest.raises(PaymentDeclined):
        await shop.checkout(ann, "pm_card_visa_chargeDeclined")
    after = await backend.version.current()

    assert await shop.stock_of(book) == 5  # taken (stock 3 while charging), then given back
    assert len({before, *provider.seen, after}) == 3


async def test_stock_given_back_by_the_expiry_of_an_unpaid_order_moves_it(
    backend: Backend, shop: Shop
) -> None:
    ann = await shop.customer()
    book = await shop.book("The Horse and His Boy", stock=5)
    await shop.add_to_cart(ann, book, 2)
    await shop.checkout(ann, None)  # PENDING: the customer has to confirm
    shop.clock.advance(TIME_TO_PAY.total_seconds() + 1)

    assert await moves(backend, shop.expire)
    assert await shop.stock_of(book) == 5


async def test_what_leaves_the_catalogue_as_it_was_leaves_the_version(backend: Backend, shop: Shop) -> None:
    book = await shop.book("The Magician's Nephew", stock=1)
    ann = 0

    async def sign_up() -> None:
        nonlocal ann
        ann = await shop.customer()

    async def refused_stock_change() -> None:
        with pytest.raises(InsufficientStock):
            await ChangeStock(backend.uow)(book, delta=-2)

    async def rolled_back() -> None:
        async with backend.uow() as tx:
            await tx.products.set_stock(book, 50)  # never committed

    assert not await moves(backend, sign_up)
    assert not await moves(backend, lambda: shop.add_to_cart(ann, book, 1))
    assert not await moves(backend, refused_stock_change)
    assert not await moves(backend, rolled_back)
    assert await shop.stock_of(book) == 1


async def test_the_version_moves_only_once_the_change_is_committed(backend: Backend, shop: Shop) -> None:
    """Moved any earlier, a reader could find the new version, read the data the commit had not
    published yet, and keep them under the new version."""
    book = await shop.book("The Voyage of the Dawn Treader", price_cents=899)
    before = await backend.version.current()

    async with backend.uow() as tx:
        await tx.products.set_stock(book, 40)
        while_writing = await backend.version.current()
        await tx.commit()

    assert while_writing == before
    assert await backend.version.current() != before
