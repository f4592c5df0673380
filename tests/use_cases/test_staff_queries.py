"""What staff look up in the back office, on every store: orders with their customers' emails,
filtered by fulfilment; accounts by part of their email."""

from __future__ import annotations

import pytest

from application.fulfilment import ShipOrder
from application.queries import EmailPart, OrderFilters, PageRequest, StaffOrderQueries
from domain.errors import InvalidValue
from domain.fulfilment import FulfilmentStatus
from domain.ordering import OrderStatus
from tests.conftest import Backend
from tests.use_cases.conftest import Shop


@pytest.fixture
def staff_orders(backend: Backend) -> StaffOrderQueries:
    assert backend.staff_orders is not None
    return backend.staff_orders


async def test_orders_carry_their_customers_email_and_filter_by_fulfilment(
    shop: Shop, staff_orders: StaffOrderQueries
) -> None:
    book = await shop.book("Prince Caspian", stock=10)
    ann = await shop.customer("ann@example.com")
    bob = await shop.customer("bob@example.com")
    made = []
    for customer, card in ((ann, "pm_card_visa"), (bob, "pm_card_visa"), (ann, None), (bob, "pm_card_visa")):
        await shop.add_to_cart(customer, book, 1)
        made.append((await shop.checkout(customer, card)).order)
        shop.clock.advance(1)
    ids = [order.id for order in made]
    assert ids[1] is not None
    await ShipOrder(shop.uow, shop.clock)(ids[1], "DHL", "JD01")

    everything = await staff_orders.list_customer_orders(OrderFilters(), PageRequest())
    shipped = await staff_orders.list_customer_orders(
        OrderFilters(fulfilment_status=FulfilmentStatus.SHIPPED), PageRequest()
    )
    waiting = await staff_orders.list_customer_orders(
        OrderFilters(fulfilment_status=FulfilmentStatus.UNFULFILLED, status=OrderStatus.PAID), PageRequest()
    )
    bobs = await staff_orders.list_customer_orders(OrderFilters(user_id=bob), PageRequest(limit=1))

    assert [(found.order.id, found.user_email) for found in everything.items] == [
        (ids[3], "bob@example.com"),
        (ids[2], "ann@example.com"),
        (ids[1], "bob@example.com"),
        (ids[0], "ann@example.com"),
    ]
    assert [found.order.id for found in shipped.items] == [ids[1]]
    assert shipped.items[0].order.fulfilment.carrier == "DHL"
    assert ([found.order.id for found in waiting.items], waiting.total) == ([ids[3], ids[0]], 2)
    assert ([found.order.id for found in bobs.items], bobs.total) == ([ids[3]], 2)
    one = await staff_orders.get_customer_order(ids[1])
    assert one is not None
    assert (one.user_email, one.order.fulfilment.status) == ("bob@example.com", FulfilmentStatus.SHIPPED)
    assert await staff_orders.get_customer_order(999) is None


async def test_users_are_found_by_part_of_their_email_wildcards_literal(shop: Shop, backend: Backend) -> None:
    for email in (
        "a_b@example.com",
        "axb@example.com",
        "100%@example.com",
        "1000@example.com",
        "x\\y@ex.org",
    ):
        await shop.customer(email)

    async def found(part: str) -> list[str]:
        page = await backend.users.list_users(PageRequest(), email=EmailPart(part))
        assert page.total == len(page.items)
        return [user.email for user in page.items]

    assert await found("A_B") == ["a_b@example.com"]
    assert await found("0%") == ["100%@example.com"]
    assert await found("x\\") == ["x\\y@ex.org"]
    assert await found("EXAMPLE.COM") == [
        "a_b@example.com",
        "axb@example.com",
        "100%@example.com",
        "1000@example.com",
    ]
    assert await found("nobody") == []
    inactive_only = await backend.users.list_users(PageRequest(), is_active=False, email=EmailPart("a"))
    assert inactive_only.items == []


@pytest.mark.parametrize("part", ["", "a\x00b", "x" * 255])
def test_an_email_part_is_one_to_254_characters_without_control_characters(part: str) -> None:
    with pytest.raises(InvalidValue):
        EmailPart(part)
