from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.cart import Cart
from domain.errors import InsufficientStock, InvalidValue, NotInCart, ProductUnavailable, QuantityAboveLimit
from tests.unit.builders import LIMITS, NOW, UNCAPPED, make_product

LATER = NOW + timedelta(minutes=1)


def quantities(cart: Cart) -> dict[int, int]:
    return {line.product_id: line.quantity for line in cart.lines_by_product_id()}


def test_a_new_cart_is_empty() -> None:
    cart = Cart(user_id=1)

    assert cart.is_empty
    assert cart.lines_by_product_id() == []
    assert cart.quantity_of(1) == 0
    assert cart.updated_at is None


def test_add_puts_the_product_on_a_line_and_stamps_the_cart() -> None:
    cart = Cart(user_id=1)

    cart.add(make_product(id=1, stock=5), 2, NOW, LIMITS)

    assert not cart.is_empty
    assert quantities(cart) == {1: 2}
    assert cart.quantity_of(1) == 2
    assert cart.updated_at == NOW


def test_adds_of_one_product_accumulate_on_one_line() -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=5)

    cart.add(product, 2, NOW, LIMITS)
    cart.add(product, 3, LATER, LIMITS)

    assert quantities(cart) == {1: 5}
    assert len(cart.lines_by_product_id()) == 1
    assert cart.updated_at == LATER


def test_add_refuses_a_deactivated_product_and_leaves_the_cart_unchanged() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 1, NOW, LIMITS)
    retired = make_product(id=2, stock=5)
    retired.deactivate()

    with pytest.raises(ProductUnavailable) as refused:
        cart.add(retired, 1, LATER, LIMITS)

    assert refused.value.product_id == 2
    assert quantities(cart) == {1: 1}
    assert cart.updated_at == NOW


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_add_refuses_a_quantity_below_one_and_leaves_the_cart_unchanged(quantity: Any) -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=5)
    cart.add(product, 2, NOW, LIMITS)

    with pytest.raises(InvalidValue) as refused:
        cart.add(product, quantity, LATER, LIMITS)

    assert refused.value.field == "quantity"
    assert quantities(cart) == {1: 2}
    assert cart.updated_at == NOW


def test_add_refuses_a_first_quantity_above_stock() -> None:
    cart = Cart(user_id=1)

    with pytest.raises(InsufficientStock) as refused:
        cart.add(make_product(id=1, stock=3), 4, NOW, LIMITS)

    assert (refused.value.product_id, refused.value.requested, refused.value.available) == (1, 4, 3)
    assert cart.is_empty
    assert cart.updated_at is None


def test_add_refuses_when_the_resulting_quantity_is_above_stock_and_keeps_the_line() -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=5)
    cart.add(product, 4, NOW, LIMITS)

    with pytest.raises(InsufficientStock) as refused:
        cart.add(product, 2, LATER, LIMITS)

    assert refused.value.requested == 6
    assert refused.value.available == 5
    assert quantities(cart) == {1: 4}
    assert cart.updated_at == NOW


def test_add_accepts_exactly_the_whole_stock() -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=5)

    cart.add(product, 3, NOW, LIMITS)
    cart.add(product, 2, NOW, LIMITS)

    assert quantities(cart) == {1: 5}


def test_add_accepts_a_line_of_exactly_the_cap() -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=50)

    cart.add(product, 4, NOW, LIMITS)
    cart.add(product, 6, NOW, LIMITS)

    assert quantities(cart) == {1: 10}


def test_add_refuses_a_resulting_line_above_the_cap_and_leaves_the_cart_unchanged() -> None:
    cart = Cart(user_id=1)
    product = make_product(id=1, stock=50)
    cart.add(product, 8, NOW, LIMITS)

    with pytest.raises(QuantityAboveLimit) as refused:
        cart.add(product, 3, LATER, LIMITS)

    assert refused.value.field == "quantity"
    assert (refused.value.product_id, refused.value.quantity, refused.value.limit) == (1, 11, 10)
    assert quantities(cart) == {1: 8}
    assert cart.updated_at == NOW


def test_the_cap_is_checked_before_the_stock() -> None:
    with pytest.raises(QuantityAboveLimit):
        Cart(user_id=1).add(make_product(id=1, stock=3), 11, NOW, LIMITS)


def test_a_cart_within_the_cap_passes_and_one_above_it_is_refused() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=50), 10, NOW, LIMITS)
    cart.add(make_product(id=2, stock=50), 9, NOW, LIMITS)
    cart.ensure_within(LIMITS)

    cart.put_back(2, 2)  # a failed payment's lines come back on top of what was added since

    with pytest.raises(QuantityAboveLimit) as refused:
        cart.ensure_within(LIMITS)
    assert (refused.value.product_id, refused.value.quantity) == (2, 11)


def test_add_refuses_a_product_that_has_not_been_stored() -> None:
    cart = Cart(user_id=1)

    with pytest.raises(InvalidValue) as refused:
        cart.add(make_product(id=None), 1, NOW, LIMITS)

    assert refused.value.field == "product_id"
    assert cart.is_empty


def test_remove_without_quantity_drops_the_line() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 3, NOW, LIMITS)
    cart.add(make_product(id=2, stock=5), 1, NOW, LIMITS)

    cart.remove(1, None, LATER)

    assert quantities(cart) == {2: 1}
    assert cart.quantity_of(1) == 0
    assert cart.updated_at == LATER


def test_remove_with_quantity_shrinks_the_line() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 4, NOW, LIMITS)

    cart.remove(1, 3, LATER)

    assert quantities(cart) == {1: 1}
    assert cart.updated_at == LATER


@pytest.mark.parametrize("quantity", [3, 4, 100])
def test_remove_drops_the_line_when_it_reaches_zero(quantity: int) -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 3, NOW, LIMITS)

    cart.remove(1, quantity, LATER)

    assert cart.is_empty
    assert quantities(cart) == {}


def test_remove_of_a_product_not_in_the_cart_is_refused() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 2, NOW, LIMITS)

    with pytest.raises(NotInCart) as refused:
        cart.remove(2, None, LATER)

    assert refused.value.product_id == 2
    assert quantities(cart) == {1: 2}
    assert cart.updated_at == NOW


def test_remove_from_an_empty_cart_is_refused() -> None:
    with pytest.raises(NotInCart):
        Cart(user_id=1).remove(1, 1, NOW)


@pytest.mark.parametrize("quantity", [0, -1])
def test_remove_refuses_a_quantity_below_one(quantity: int) -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=1, stock=5), 2, NOW, LIMITS)

    with pytest.raises(InvalidValue) as refused:
        cart.remove(1, quantity, LATER)

    assert refused.value.field == "quantity"
    assert quantities(cart) == {1: 2}


def test_lines_are_in_ascending_product_id_whatever_the_order_of_adding() -> None:
    cart = Cart(user_id=1)
    for product_id in [7, 2, 11, 5, 1]:
        cart.add(make_product(id=product_id, stock=20), product_id, NOW, UNCAPPED)

    lines = cart.lines_by_product_id()

    assert [line.product_id for line in lines] == [1, 2, 5, 7, 11]
    assert [line.quantity for line in lines] == [1, 2, 5, 7, 11]


def test_taking_all_lines_empties_the_cart_in_product_order() -> None:
    cart = Cart(user_id=1)
    cart.add(make_product(id=9, stock=5), 2, NOW, LIMITS)
    cart.add(make_product(id=3, stock=5), 1, NOW, LIMITS)

    taken = cart.take_all()

    assert [(line.product_id, line.quantity) for line in taken] == [(3, 1), (9, 2)]
    assert cart.is_empty
    assert cart.updated_at == NOW


def test_lines_put_back_merge_with_what_was_added_since_without_a_stock_check() -> None:
    cart = Cart(user_id=1, updated_at=NOW)
    cart.add(make_product(id=3, stock=1), 1, NOW, LIMITS)

    cart.put_back(3, 4)
    cart.put_back(7, 2)

    assert {pid: item.quantity for pid, item in cart.items.items()} == {3: 5, 7: 2}
    with pytest.raises(InvalidValue):
        cart.put_back(7, 0)
