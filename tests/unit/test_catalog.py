from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from domain.catalog import AUTHOR_MAX_LENGTH, TITLE_MAX_LENGTH, Product, Series
from domain.errors import InsufficientStock, InvalidValue, ProductUnavailable
from domain.values import MAX_INT32
from tests.unit.builders import make_product

# --- construction ----------------------------------------------------------------------------------


def test_a_valid_product_is_active_with_trimmed_text() -> None:
    product = make_product(title="  The Magician's Nephew ", author=" C. S. Lewis\n", series="NARNIA")

    assert product.title == "The Magician's Nephew"
    assert product.author == "C. S. Lewis"
    assert product.series is Series.NARNIA
    assert product.is_active


@pytest.mark.parametrize("field", ["price_cents", "stock"])
@pytest.mark.parametrize("value", [0, 1, MAX_INT32])
def test_price_and_stock_accept_zero_to_max_int32(field: str, value: int) -> None:
    product = make_product(**{field: value})

    assert getattr(product, field) == value


@pytest.mark.parametrize("field", ["price_cents", "stock"])
@pytest.mark.parametrize("value", [-1, -1000, MAX_INT32 + 1, True, False, 12.5, 12.0, "1299", None])
def test_price_and_stock_refuse_what_is_not_a_count(field: str, value: Any) -> None:
    with pytest.raises(InvalidValue) as refused:
        make_product(**{field: value})

    assert refused.value.field == field


@pytest.mark.parametrize(("field", "limit"), [("title", TITLE_MAX_LENGTH), ("author", AUTHOR_MAX_LENGTH)])
@pytest.mark.parametrize("bad", ["", " ", "\t\n  ", "too long"])
def test_title_and_author_refuse_blank_or_overlong_text(field: str, limit: int, bad: str) -> None:
    value = "x" * (limit + 1) if bad == "too long" else bad

    with pytest.raises(InvalidValue) as refused:
        make_product(**{field: value})

    assert refused.value.field == field


@pytest.mark.parametrize(("field", "limit"), [("title", TITLE_MAX_LENGTH), ("author", AUTHOR_MAX_LENGTH)])
def test_title_and_author_accept_200_characters_once_trimmed(field: str, limit: int) -> None:
    product = make_product(**{field: "  " + "x" * limit + "  "})

    assert getattr(product, field) == "x" * limit


def test_a_product_needs_a_timezone_aware_creation_time() -> None:
    with pytest.raises(InvalidValue) as refused:
        make_product(created_at=datetime(2026, 1, 1))

    assert refused.value.field == "created_at"


# --- revise ----------------------------------------------------------------------------------------


def test_revise_changes_the_catalogue_details_but_never_the_stock() -> None:
    product = make_product(stock=7)

    product.revise(title=" New title ", series=Series.NARNIA, author="C. S. Lewis", price_cents=0)

    assert product.title == "New title"
    assert product.series is Series.NARNIA
    assert product.author == "C. S. Lewis"
    assert product.price_cents == 0
    assert product.stock == 7
    assert product.is_active


def test_revise_changes_only_the_details_it_is_given() -> None:
    product = make_product(title="Old", author="Someone", price_cents=500, stock=3)

    product.revise(price_cents=650)

    assert (product.title, product.author, product.series, product.price_cents, product.stock) == (
        "Old",
        "Someone",
        Series.HP,
        650,
        3,
    )


def test_revise_does_not_accept_stock() -> None:
    product = make_product(stock=4)
    extra: dict[str, Any] = {"stock": 0}

    with pytest.raises(TypeError):
        product.revise(**extra)

    assert product.stock == 4


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": True}, "price_cents"),
        ({"price_cents": MAX_INT32 + 1}, "price_cents"),
        ({"title": "   "}, "title"),
        ({"title": "x" * (TITLE_MAX_LENGTH + 1)}, "title"),
        ({"author": ""}, "author"),
        ({"author": "x" * (AUTHOR_MAX_LENGTH + 1)}, "author"),
    ],
)
def test_a_refused_revision_leaves_the_product_as_it_was(changes: dict[str, Any], field: str) -> None:
    product = make_product(title="Old", author="Someone", price_cents=500)

    with pytest.raises(InvalidValue) as refused:
        product.revise(**changes)

    assert refused.value.field == field
    assert (product.title, product.author, product.price_cents) == ("Old", "Someone", 500)


def test_a_revision_refused_on_one_field_changes_no_other_field() -> None:
    """All or nothing, like every other refused change: a PATCH answered 400 must not half-apply."""
    product = make_product(title="Old", author="Someone", price_cents=500)

    with pytest.raises(InvalidValue):
        product.revise(title="New", author="Another", price_cents=-1)

    assert (product.title, product.author, product.price_cents) == ("Old", "Someone", 500)


# --- stock -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stock", "delta", "expected"), [(5, 3, 8), (5, -5, 0), (5, 0, 5), (0, 2, 2)])
def test_adjust_stock_moves_stock_by_delta(stock: int, delta: int, expected: int) -> None:
    product = make_product(stock=stock)

    product.adjust_stock(delta)

    assert product.stock == expected


@pytest.mark.parametrize(("stock", "delta"), [(5, -6), (0, -1), (3, -MAX_INT32)])
def test_adjust_stock_never_goes_below_zero(stock: int, delta: int) -> None:
    product = make_product(id=42, stock=stock)

    with pytest.raises(InsufficientStock) as refused:
        product.adjust_stock(delta)

    assert product.stock == stock
    assert refused.value.product_id == 42
    assert refused.value.available == stock


def test_adjust_stock_refuses_to_exceed_max_int32() -> None:
    product = make_product(stock=MAX_INT32 - 1)

    with pytest.raises(InvalidValue) as refused:
        product.adjust_stock(2)

    assert refused.value.field == "delta"
    assert product.stock == MAX_INT32 - 1


@pytest.mark.parametrize("delta", [True, 1.0, "1", None])
def test_adjust_stock_refuses_a_delta_that_is_not_a_whole_number(delta: Any) -> None:
    product = make_product(stock=5)

    with pytest.raises(InvalidValue) as refused:
        product.adjust_stock(delta)

    assert refused.value.field == "delta"
    assert product.stock == 5


def test_withdraw_takes_stock_down_to_zero() -> None:
    product = make_product(stock=3)

    product.withdraw(2)
    assert product.stock == 1
    product.withdraw(1)
    assert product.stock == 0


def test_withdraw_refuses_more_than_the_shelf_holds() -> None:
    product = make_product(id=9, stock=3)

    with pytest.raises(InsufficientStock) as refused:
        product.withdraw(4)

    assert (refused.value.product_id, refused.value.requested, refused.value.available) == (9, 4, 3)
    assert product.stock == 3


@pytest.mark.parametrize("quantity", [0, -1, True])
def test_withdraw_refuses_a_quantity_below_one(quantity: Any) -> None:
    product = make_product(stock=3)

    with pytest.raises(InvalidValue) as refused:
        product.withdraw(quantity)

    assert refused.value.field == "quantity"
    assert product.stock == 3


def test_withdraw_refuses_a_deactivated_product() -> None:
    product = make_product(id=9, stock=3)
    product.deactivate()

    with pytest.raises(ProductUnavailable) as refused:
        product.withdraw(1)

    assert refused.value.product_id == 9
    assert product.stock == 3


def test_replenish_adds_stock_even_to_a_deactivated_product() -> None:
    product = make_product(stock=3)
    product.deactivate()

    product.replenish(4)

    assert product.stock == 7


@pytest.mark.parametrize("quantity", [0, -2, False])
def test_replenish_refuses_a_quantity_below_one(quantity: Any) -> None:
    product = make_product(stock=3)

    with pytest.raises(InvalidValue) as refused:
        product.replenish(quantity)

    assert refused.value.field == "quantity"
    assert product.stock == 3


def test_replenish_refuses_to_exceed_max_int32() -> None:
    product = make_product(stock=MAX_INT32)

    with pytest.raises(InvalidValue) as refused:
        product.replenish(1)

    assert refused.value.field == "stock"
    assert product.stock == MAX_INT32


@pytest.mark.parametrize("stock", [0, 12, MAX_INT32])
def test_set_stock_replaces_the_stock(stock: int) -> None:
    product = make_product(stock=5)

    product.set_stock(stock)

    assert product.stock == stock


@pytest.mark.parametrize("stock", [-1, MAX_INT32 + 1, True, 3.0])
def test_set_stock_refuses_what_is_not_a_count(stock: Any) -> None:
    product = make_product(stock=5)

    with pytest.raises(InvalidValue) as refused:
        product.set_stock(stock)

    assert refused.value.field == "stock"
    assert product.stock == 5


# --- active / supply -------------------------------------------------------------------------------


def test_deactivate_and_restore_toggle_the_product_and_keep_its_details() -> None:
    product = make_product(price_cents=999, stock=4)

    product.deactivate()
    assert not product.is_active

    product.restore()
    assert product.is_active
    assert (product.price_cents, product.stock) == (999, 4)


def test_can_supply_up_to_the_stock_of_an_active_product() -> None:
    product = make_product(stock=3)

    assert product.can_supply(1)
    assert product.can_supply(3)
    assert not product.can_supply(4)


def test_a_deactivated_product_can_supply_nothing() -> None:
    product = make_product(stock=3)
    product.deactivate()

    assert not product.can_supply(1)

    product.restore()
    assert product.can_supply(3)


def test_an_empty_shelf_supplies_nothing() -> None:
    product: Product = make_product(stock=0)

    assert not product.can_supply(1)
