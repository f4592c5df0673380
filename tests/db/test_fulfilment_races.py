"""Members of staff ship one order at the same moment: it ships once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.fulfilment import DeliverOrder, ShipOrder
from application.ports import UnitOfWork
from domain.errors import OrderNotShippable
from domain.fulfilment import FulfilmentStatus
from domain.ordering import Order
from entrypoints.container import Container
from tests.fakes import FrozenClock
from tests.http.catalog_helpers import Client
from tests.http.conftest import assert_problem, bearer
from tests.http.shopping_helpers import buy, get_order, open_shop, post_each
from tests.use_cases.conftest import Shop, make_shop

RACERS = 10


async def test_two_concurrent_ships_of_one_order_one_succeeds_one_is_refused(
    client: Client, container: Container
) -> None:
    shop = await open_shop(client, container)
    order_id = (await buy(client, shop.token, shop.book["id"]))["id"]
    path = f"/admin/orders/{order_id}/ship"
    headers = bearer(shop.admin_token)

    responses = await post_each(
        client,
        [
            (path, headers, {"carrier": "DHL", "tracking_number": "JD01"}),
            (path, headers, {"carrier": "UPS", "tracking_number": "1Z02"}),
        ],
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 409: 1}, [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["fulfilment"]
    for refused in (r for r in responses if r.status_code == 409):
        assert_problem(refused, 409, "order_not_shippable")
    assert (await get_order(client, shop.token, order_id))["fulfilment"] == winner


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    engine: AsyncEngine = create_engine(database_url, pool_size=RACERS)

    def uow() -> UnitOfWork:
        return SqlUnitOfWork(engine)

    yield make_shop(uow, BuiltInTestPaymentProvider(), FrozenClock())
    await engine.dispose()


async def _paid_order(shop: Shop) -> Order:
    customer = await shop.customer()
    await shop.add_to_cart(customer, await shop.book("The Magician's Nephew"), 1)
    return (await shop.checkout(customer, "pm_card_visa")).order


async def test_ten_staff_shipping_one_order_ship_it_once_and_deliver_it_once(shop: Shop) -> None:
    """Each reads the order before any has written: without the order's lock several would ship it."""
    order = await _paid_order(shop)
    assert order.id is not None
    ship, deliver = ShipOrder(shop.uow, shop.clock), DeliverOrder(shop.uow, shop.clock)

    shipped = await asyncio.gather(
        *(ship(order.id, "DHL", f"JD{n:02}") for n in range(RACERS)), return_exceptions=True
    )
    delivered = await asyncio.gather(*(deliver(order.id) for _ in range(RACERS)), return_exceptions=True)

    for results in (shipped, delivered):
        outcomes = Counter(type(r).__name__ for r in results)
        assert outcomes == {"Order": 1, OrderNotShippable.__name__: RACERS - 1}, outcomes
    winner = next(r for r in shipped if isinstance(r, Order))
    stored = (await shop.order(order.id)).fulfilment
    assert stored.status is FulfilmentStatus.DELIVERED
    assert stored.tracking_number == winner.fulfilment.tracking_number
