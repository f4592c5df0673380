"""Filling a cart, on every store."""

from __future__ import annotations

import pytest

from application.catalog import ChangeStock, ProductChanges, UpdateProduct
from application.errors import NotFound
from domain.errors import InsufficientStock, InvalidValue, NotInCart
from tests.use_cases.conftest import Shop


async def test_a_new_customer_has_an_empty_cart(shop: Shop) -> None:
    ann = await shop.customer()

    view = await shop.view_cart(ann)

    assert (view.lines, view.total_cents, view.updated_at) == ([], 0, None)


async def test_adding_accumulates_on_one_line_at_todays_price(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", price_cents=799, stock=10)
    chair = await shop.book("The Silver Chair", price_cents=899, stock=10)

    await shop.add_to_cart(ann, caspian)
    await shop.add_to_cart(ann, chair, 2)
    view = await shop.add_to_cart(ann, caspian, 3)

    assert [(line.product_id, line.quantity, line.line_total_cents) for line in view.lines] == [
        (caspian, 4, 4 * 799),
        (chair, 2, 2 * 899),
    ]
    assert view.total_cents == 4 * 799 + 2 * 899
    assert view.updated_at == shop.clock.now()
    assert await shop.view_cart(ann) == view


async def test_more_than_the_shelf_holds_is_refused_and_the_cart_is_unchanged(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=3)
    before = await shop.add_to_cart(ann, caspian, 2)

    with pytest.raises(InsufficientStock):
        await shop.add_to_cart(ann, caspian, 2)

    assert await shop.view_cart(ann) == before


async def test_a_first_add_beyond_the_shelf_leaves_no_cart(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=3)
    sold_out = await shop.book("The Horse and His Boy", stock=0)

    for product_id, quantity in ((caspian, 4), (sold_out, 1)):
        with pytest.raises(InsufficientStock):
            await shop.add_to_cart(ann, product_id, quantity)

    view = await shop.view_cart(ann)
    assert (view.lines, view.updated_at) == ([], None)


async def test_a_missing_or_withdrawn_product_cannot_be_added(shop: Shop) -> None:
    ann = await shop.customer()
    withdrawn = await shop.book("The Last Battle")
    await UpdateProduct(shop.uow)(withdrawn, ProductChanges(is_active=False))

    for product_id in (withdrawn, 999):
        with pytest.raises(NotFound):
            await shop.add_to_cart(ann, product_id)
    assert (await shop.view_cart(ann)).lines == []


async def test_a_quantity_below_one_is_refused(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian")

    with pytest.raises(InvalidValue):
        await shop.add_to_cart(ann, caspian, 0)


async def test_removing_shrinks_a_line_or_takes_it_out(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=10)
    chair = await shop.book("The Silver Chair", stock=10)
    await shop.add_to_cart(ann, caspian, 5)
    await shop.add_to_cart(ann, chair, 1)

    shrunk = await shop.remove_from_cart(ann, caspian, 2)
    gone = await shop.remove_from_cart(ann, chair)
    emptied = await shop.remove_from_cart(ann, caspian, 3)

    assert [(line.product_id, line.quantity) for line in shrunk.lines] == [(caspian, 3), (chair, 1)]
    assert [(line.product_id, line.quantity) for line in gone.lines] == [(caspian, 3)]
    assert emptied.lines == []


async def test_removing_what_is_not_in_the_cart_is_refused(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian")

    with pytest.raises(NotInCart):
        await shop.remove_from_cart(ann, caspian)


async def test_the_cart_shows_current_prices_and_what_can_no_longer_be_bought(shop: Shop) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", price_cents=799, stock=10)
    chair = await shop.book("The Silver Chair", stock=10)
    battle = await shop.book("The Last Battle", stock=10)
    for product_id in (caspian, chair, battle):
        await shop.add_to_cart(ann, product_id, 4)

    await UpdateProduct(shop.uow)(caspian, ProductChanges(price_cents=999, title="Prince Caspian (new)"))
    await UpdateProduct(shop.uow)(chair, ProductChanges(is_active=False))
    await ChangeStock(shop.uow)(battle, stock=3)
    view = await shop.view_cart(ann)

    assert [(line.title, line.price_cents, line.line_total_cents, line.available) for line in view.lines] == [
        ("Prince Caspian (new)", 999, 4 * 999, True),
        ("The Silver Chair", 899, 4 * 899, False),
        ("The Last Battle", 899, 4 * 899, False),
    ]
    assert view.total_cents == 4 * 999 + 2 * 4 * 899


@pytest.mark.parametrize(("stock", "available"), [(3, False), (4, True), (9, True), (0, False)])
async def test_a_line_is_available_exactly_while_the_shelf_holds_its_quantity(
    shop: Shop, stock: int, available: bool
) -> None:
    ann = await shop.customer()
    caspian = await shop.book("Prince Caspian", stock=10)
    await shop.add_to_cart(ann, caspian, 4)

    await ChangeStock(shop.uow)(caspian, stock=stock)

    [line] = (await shop.view_cart(ann)).lines
    assert (line.quantity, line.available) == (4, available)
