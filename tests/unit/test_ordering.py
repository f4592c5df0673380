from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from domain.cart import Cart
from domain.catalog import Product
from domain.errors import CartEmpty, InsufficientStock, InvalidTransition, InvalidValue, ProductUnavailable
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus, PaymentOutcome, Settled
from tests.unit.builders import ADDRESS, FREE_SHIPPING, LIMITS, NOW, make_product

LATER = NOW + timedelta(minutes=5)


def shop() -> tuple[Cart, dict[int, Product]]:
    """A cart with 2 x product 3 (price 500) and 1 x product 1 (price 1299), added out of id order."""
    products = {
        1: make_product(id=1, title="Stone", price_cents=1299, stock=4),
        3: make_product(id=3, title="Wardrobe", price_cents=500, stock=2),
    }
    cart = Cart(user_id=10, shipping_address=ADDRESS)
    cart.add(products[3], 2, NOW, LIMITS)
    cart.add(products[1], 1, NOW, LIMITS)
    return cart, products


def placed() -> Order:
    cart, products = shop()
    return Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)


# --- placing ---------------------------------------------------------------------------------------


def test_placing_a_cart_makes_a_pending_order_at_current_prices() -> None:
    cart, products = shop()

    order = Order.place(10, cart, products, "USD", NOW, shipping=FREE_SHIPPING)

    assert order.status is OrderStatus.PENDING
    assert not order.is_final
    assert order.user_id == 10
    assert order.currency == "usd"
    assert order.created_at == NOW
    assert order.updated_at == NOW
    assert order.items == (
        OrderItem(product_id=1, title_snapshot="Stone", price_snapshot=1299, quantity=1),
        OrderItem(product_id=3, title_snapshot="Wardrobe", price_snapshot=500, quantity=2),
    )
    assert order.total_amount_cents == 1299 + 2 * 500


def test_order_items_are_in_ascending_product_id() -> None:
    products = {pid: make_product(id=pid, stock=50) for pid in [9, 4, 12, 1]}
    cart = Cart(user_id=10, shipping_address=ADDRESS)
    for pid in [9, 4, 12, 1]:
        cart.add(products[pid], 1, NOW, LIMITS)

    order = Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert [item.product_id for item in order.items] == [1, 4, 9, 12]


def test_placing_neither_moves_stock_nor_empties_the_cart() -> None:
    cart, products = shop()

    Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert (products[1].stock, products[3].stock) == (4, 2)
    assert {line.product_id: line.quantity for line in cart.lines_by_product_id()} == {1: 1, 3: 2}


def test_an_empty_cart_cannot_be_placed() -> None:
    with pytest.raises(CartEmpty):
        Order.place(10, Cart(user_id=10, shipping_address=ADDRESS), {}, "usd", NOW, shipping=FREE_SHIPPING)


def test_a_cart_emptied_by_removals_cannot_be_placed() -> None:
    cart, products = shop()
    cart.remove(1, None, NOW)
    cart.remove(3, None, NOW)

    with pytest.raises(CartEmpty):
        Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)


def test_a_deactivated_product_cannot_be_ordered() -> None:
    cart, products = shop()
    products[3].deactivate()

    with pytest.raises(ProductUnavailable) as refused:
        Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert refused.value.product_id == 3


def test_a_product_that_no_longer_exists_cannot_be_ordered() -> None:
    cart, products = shop()
    del products[1]

    with pytest.raises(ProductUnavailable) as refused:
        Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert refused.value.product_id == 1


def test_a_line_above_the_current_stock_cannot_be_ordered() -> None:
    cart, products = shop()
    products[3].set_stock(1)  # the shelf emptied since the book went into the cart

    with pytest.raises(InsufficientStock) as refused:
        Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert (refused.value.product_id, refused.value.requested, refused.value.available) == (3, 2, 1)
    assert products[3].stock == 1


def test_snapshots_do_not_follow_later_changes_to_the_product() -> None:
    cart, products = shop()
    order = Order.place(10, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    products[1].revise(title="Stone (new edition)", price_cents=9999)
    products[3].deactivate()
    products[3].set_stock(0)

    assert [(i.title_snapshot, i.price_snapshot) for i in order.items] == [("Stone", 1299), ("Wardrobe", 500)]
    assert order.total_amount_cents == 2299


@pytest.mark.parametrize(
    ("field", "value"),
    [("title_snapshot", "changed"), ("price_snapshot", 1), ("quantity", 99), ("product_id", None)],
)
def test_an_order_item_cannot_be_changed(field: str, value: object) -> None:
    item = placed().items[0]

    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(item, field, value)

    assert item == OrderItem(product_id=1, title_snapshot="Stone", price_snapshot=1299, quantity=1)


def test_an_order_needs_at_least_one_item() -> None:
    with pytest.raises(InvalidValue) as refused:
        Order(user_id=10, currency="usd", items=(), created_at=NOW)

    assert refused.value.field == "items"


@pytest.mark.parametrize(("field", "value"), [("price_snapshot", -1), ("quantity", 0)])
def test_an_order_item_refuses_a_negative_price_or_an_empty_quantity(field: str, value: int) -> None:
    fields: dict[str, Any] = {"product_id": 1, "title_snapshot": "t", "price_snapshot": 1, "quantity": 1}
    fields[field] = value

    with pytest.raises(InvalidValue) as refused:
        OrderItem(**fields)

    assert refused.value.field == field


# --- status machine --------------------------------------------------------------------------------


def test_a_pending_order_can_be_paid() -> None:
    order = placed()

    order.mark_paid(LATER)

    assert order.status is OrderStatus.PAID
    assert order.is_final
    assert order.updated_at == LATER


def test_a_pending_order_can_fail() -> None:
    order = placed()

    order.mark_failed(LATER, FailureReason.DECLINED)

    assert order.status is OrderStatus.FAILED
    assert order.failure_reason is FailureReason.DECLINED
    assert order.is_final
    assert order.updated_at == LATER


MARKS: dict[str, Callable[[Order], None]] = {
    "mark_paid": lambda order: order.mark_paid(LATER + timedelta(hours=1)),
    "mark_failed": lambda order: order.mark_failed(LATER + timedelta(hours=1), FailureReason.EXPIRED),
}


@pytest.mark.parametrize("first", ["mark_paid", "mark_failed"])
@pytest.mark.parametrize("second", ["mark_paid", "mark_failed"])
def test_a_settled_order_never_changes_status_again(first: str, second: str) -> None:
    order = placed()
    if first == "mark_paid":
        order.mark_paid(LATER)
    else:
        order.mark_failed(LATER, FailureReason.DECLINED)
    settled = order.status

    with pytest.raises(InvalidTransition) as refused:
        MARKS[second](order)

    assert order.status is settled
    assert order.updated_at == LATER
    assert refused.value.current == settled.value
    assert refused.value.target == ("PAID" if second == "mark_paid" else "FAILED")


# --- payments and refunds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "accepted"),
    [(2299, "usd", True), (2299, "USD", True), (1, "usd", False), (2300, "usd", False), (2299, "eur", False)],
    ids=repr,
)
def test_only_the_exact_total_in_the_orders_currency_pays_it(
    amount: int, currency: str, accepted: bool
) -> None:
    order = placed()  # 2 x 500 + 1299

    assert order.accepts_payment(amount, currency) is accepted


def test_a_payment_of_unknown_amount_or_currency_pays_nothing() -> None:
    order = placed()

    assert not order.accepts_payment(None, "usd")
    assert not order.accepts_payment(2299, None)


def test_a_late_payment_for_a_failed_order_is_all_to_be_refunded() -> None:
    pending, paid, failed = placed(), placed(), placed()
    paid.mark_paid(LATER)
    failed.mark_failed(LATER, FailureReason.EXPIRED)

    assert (pending.late_payment_to_refund, paid.late_payment_to_refund) == (0, 0)
    assert failed.late_payment_to_refund == 2299

    failed.record_refund(2299, LATER)

    assert (failed.refunded_cents, failed.refundable_cents, failed.late_payment_to_refund) == (2299, 0, 0)


@pytest.mark.parametrize("amount", [0, -1, 2300])
def test_a_refund_is_at_least_a_cent_and_never_more_than_is_left(amount: int) -> None:
    order = placed()
    order.mark_paid(NOW)

    with pytest.raises(InvalidValue):
        order.record_refund(amount, LATER)

    order.record_refund(2000, LATER)
    with pytest.raises(InvalidValue):
        order.record_refund(300, LATER)
    assert order.refunded_cents == 2000


def test_nothing_is_refunded_on_an_order_nobody_paid_yet() -> None:
    with pytest.raises(InvalidTransition):
        placed().record_refund(1, LATER)


@pytest.mark.parametrize("refunded", [-1, 2300, True])
def test_an_order_never_holds_more_refunded_than_its_total(refunded: int) -> None:
    order = placed()

    with pytest.raises(InvalidValue):
        dataclasses.replace(order, refunded_cents=refunded)


# --- settling: what a payment outcome does to an order ---------------------------------------------

R, X, A = PaymentOutcome.RECEIVED, PaymentOutcome.REFUSED, PaymentOutcome.AWAITED


@pytest.mark.parametrize(
    ("status", "outcome", "settled", "after"),
    [
        (OrderStatus.PENDING, R, Settled.PAID, OrderStatus.PAID),
        (OrderStatus.PENDING, X, Settled.FAILED, OrderStatus.FAILED),
        (OrderStatus.PENDING, A, Settled.AWAITING, OrderStatus.PENDING),
        (OrderStatus.PAID, R, Settled.ALREADY_FINAL, OrderStatus.PAID),
        (OrderStatus.PAID, X, Settled.ALREADY_FINAL, OrderStatus.PAID),
        (OrderStatus.PAID, A, Settled.ALREADY_FINAL, OrderStatus.PAID),
        (OrderStatus.FAILED, R, Settled.REFUND_DUE, OrderStatus.FAILED),
        (OrderStatus.FAILED, X, Settled.ALREADY_FINAL, OrderStatus.FAILED),
        (OrderStatus.FAILED, A, Settled.ALREADY_FINAL, OrderStatus.FAILED),
    ],
)
def test_only_a_pending_order_moves_and_money_for_a_failed_one_is_given_back(
    status: OrderStatus, outcome: PaymentOutcome, settled: Settled, after: OrderStatus
) -> None:
    reason = FailureReason.EXPIRED if status is OrderStatus.FAILED else None
    order = dataclasses.replace(placed(), status=status, failure_reason=reason)

    assert order.settle(outcome, LATER, FailureReason.CANCELLED) is settled

    assert order.status is after
    assert order.updated_at == (LATER if after is not status else NOW)


def test_a_failed_order_refunded_in_full_takes_no_more_money_back() -> None:
    order = dataclasses.replace(placed(), status=OrderStatus.FAILED, failure_reason=FailureReason.EXPIRED)
    order.record_refund(order.total_amount_cents, LATER)

    assert order.settle(PaymentOutcome.RECEIVED, LATER, FailureReason.DECLINED) is Settled.ALREADY_FINAL


def test_the_first_payment_intent_named_is_the_orders_payment() -> None:
    order = placed()

    order.link_payment(None)
    order.link_payment("pi_1")
    order.link_payment("pi_2")

    assert order.payment_intent_id == "pi_1"
