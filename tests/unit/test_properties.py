"""Properties of the domain rules, checked over many generated sequences of operations."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.cart import Cart
from domain.catalog import Product
from domain.errors import (
    DomainError,
    InsufficientStock,
    InvalidTransition,
    InvalidValue,
    ProductUnavailable,
    QuantityAboveLimit,
)
from domain.limits import PurchaseLimits
from domain.ordering import FailureReason, Order, OrderStatus
from domain.shipping import COUNTRIES, ShippingRates
from domain.values import MAX_INT32
from tests.unit.builders import ADDRESS, FREE_SHIPPING, LIMITS, NOW, UNCAPPED, make_product

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)
STATEFUL_SETTINGS = settings(max_examples=100, stateful_step_count=30, deadline=None)

# Mostly small numbers, so valid and refused calls both happen often, plus the int32 edges.
amounts = st.one_of(
    st.integers(min_value=-20, max_value=20),
    st.integers(min_value=-MAX_INT32 - 5, max_value=MAX_INT32 + 5),
    st.integers(min_value=MAX_INT32 - 20, max_value=MAX_INT32 + 2),
    st.sampled_from([0, MAX_INT32, MAX_INT32 + 1, -MAX_INT32]),
)

# --- stock never goes negative ---------------------------------------------------------------------


class StockMachine(RuleBasedStateMachine):
    """Every stock operation, valid or refused, against a model of what the stock should be."""

    def __init__(self) -> None:
        super().__init__()
        self.product: Product = make_product(id=1, stock=0)
        self.expected = 0

    @initialize(
        stock=st.integers(min_value=0, max_value=50)
        | st.integers(min_value=MAX_INT32 - 30, max_value=MAX_INT32)
    )
    def shelve(self, stock: int) -> None:
        self.product = make_product(id=1, stock=stock)
        self.expected = stock

    @rule(delta=amounts)
    def adjust_stock(self, delta: int) -> None:
        before = self.product.stock
        target = before + delta
        try:
            self.product.adjust_stock(delta)
        except InsufficientStock:
            assert target < 0
            assert self.product.stock == before
        except InvalidValue:
            assert target > MAX_INT32
            assert self.product.stock == before
        else:
            assert 0 <= target <= MAX_INT32
            self.expected = target

    @rule(quantity=amounts)
    def withdraw(self, quantity: int) -> None:
        before = self.product.stock
        try:
            self.product.withdraw(quantity)
        except InvalidValue:
            assert quantity < 1 or quantity > MAX_INT32
            assert self.product.stock == before
        except ProductUnavailable:
            assert not self.product.is_active
            assert self.product.stock == before
        except InsufficientStock:
            assert quantity > before
            assert self.product.stock == before
        else:
            assert 1 <= quantity <= before
            self.expected = before - quantity

    @rule(quantity=amounts)
    def replenish(self, quantity: int) -> None:
        before = self.product.stock
        try:
            self.product.replenish(quantity)
        except InvalidValue:
            assert quantity < 1 or before + quantity > MAX_INT32
            assert self.product.stock == before
        else:
            assert quantity >= 1
            assert before + quantity <= MAX_INT32
            self.expected = before + quantity

    @rule(stock=amounts)
    def set_stock(self, stock: int) -> None:
        before = self.product.stock
        try:
            self.product.set_stock(stock)
        except InvalidValue:
            assert not 0 <= stock <= MAX_INT32
            assert self.product.stock == before
        else:
            assert 0 <= stock <= MAX_INT32
            self.expected = stock

    @rule(active=st.booleans())
    def toggle(self, active: bool) -> None:
        if active:
            self.product.restore()
        else:
            self.product.deactivate()

    @invariant()
    def stock_is_never_negative_and_matches_the_model(self) -> None:
        assert 0 <= self.product.stock <= MAX_INT32
        assert self.product.stock == self.expected


StockMachine.TestCase.settings = STATEFUL_SETTINGS
TestStockNeverNegative = StockMachine.TestCase


# --- the cart never holds more than the shelf had ---------------------------------------------------

PRODUCT_IDS = [1, 2, 3]
LINE_CAP = PurchaseLimits(max_quantity_per_line=6, max_pending_orders=2)
"""Below the largest stock, so that adds meet the cap and the shelf both."""


class CartMachine(RuleBasedStateMachine):
    """Adds and removes over three products whose stock and availability move underneath the cart;
    no line ever goes above the per-line cap."""

    def __init__(self) -> None:
        super().__init__()
        self.cart = Cart(user_id=1, shipping_address=ADDRESS)
        self.products: dict[int, Product] = {}
        self.expected: dict[int, int] = {}
        self.stock_at_last_add: dict[int, int] = {}

    @initialize(stocks=st.lists(st.integers(min_value=0, max_value=8), min_size=3, max_size=3))
    def shelve(self, stocks: list[int]) -> None:
        self.products = {
            pid: make_product(id=pid, stock=s) for pid, s in zip(PRODUCT_IDS, stocks, strict=True)
        }

    @rule(pid=st.sampled_from(PRODUCT_IDS), quantity=st.integers(min_value=-2, max_value=10))
    def add(self, pid: int, quantity: int) -> None:
        product = self.products[pid]
        wanted = self.expected.get(pid, 0) + quantity
        try:
            self.cart.add(product, quantity, NOW, LINE_CAP)
        except QuantityAboveLimit:
            assert quantity >= 1
            assert wanted > LINE_CAP.max_quantity_per_line
        except InvalidValue:
            assert quantity < 1
        except ProductUnavailable:
            assert not product.is_active
        except InsufficientStock:
            assert wanted > product.stock
        else:
            assert quantity >= 1
            assert product.is_active
            assert wanted <= product.stock
            assert wanted <= LINE_CAP.max_quantity_per_line
            self.expected[pid] = wanted
            self.stock_at_last_add[pid] = product.stock

    @rule(pid=st.sampled_from(PRODUCT_IDS), quantity=st.none() | st.integers(min_value=-1, max_value=10))
    def remove(self, pid: int, quantity: int | None) -> None:
        try:
            self.cart.remove(pid, quantity, NOW)
        except DomainError:
            assert pid not in self.expected or (quantity is not None and quantity < 1)
        else:
            if quantity is None or quantity >= self.expected[pid]:
                del self.expected[pid]
            else:
                self.expected[pid] -= quantity

    @rule(pid=st.sampled_from(PRODUCT_IDS), stock=st.integers(min_value=0, max_value=8))
    def shelf_changes(self, pid: int, stock: int) -> None:
        self.products[pid].set_stock(stock)

    @rule(pid=st.sampled_from(PRODUCT_IDS), active=st.booleans())
    def toggle(self, pid: int, active: bool) -> None:
        if active:
            self.products[pid].restore()
        else:
            self.products[pid].deactivate()

    def quantities(self) -> dict[int, int]:
        return {line.product_id: line.quantity for line in self.cart.lines_by_product_id()}

    @invariant()
    def lines_hold_between_one_and_the_stock_at_the_last_add(self) -> None:
        assert self.quantities() == self.expected
        for line in self.cart.lines_by_product_id():
            assert 1 <= line.quantity <= self.stock_at_last_add[line.product_id]
            assert line.quantity <= LINE_CAP.max_quantity_per_line

    @invariant()
    def lines_are_in_ascending_product_id(self) -> None:
        ids = [line.product_id for line in self.cart.lines_by_product_id()]
        assert ids == sorted(ids)
        assert self.cart.is_empty == (not ids)


CartMachine.TestCase.settings = STATEFUL_SETTINGS
TestCartNeverAboveStock = CartMachine.TestCase


# --- order totals ----------------------------------------------------------------------------------

shelves = st.dictionaries(
    keys=st.integers(min_value=1, max_value=10_000),
    values=st.tuples(
        st.integers(min_value=0, max_value=MAX_INT32),  # price
        st.integers(min_value=1, max_value=1_000),  # stock
        st.integers(min_value=1, max_value=1_000),  # wanted (capped at stock)
    ),
    min_size=1,
    max_size=8,
)


@PROPERTY_SETTINGS
@given(shelf=shelves)
def test_the_order_total_is_the_sum_of_its_lines_at_the_prices_of_the_day(
    shelf: dict[int, tuple[int, int, int]],
) -> None:
    products = {pid: make_product(id=pid, price_cents=p, stock=s) for pid, (p, s, _) in shelf.items()}
    cart = Cart(user_id=1, shipping_address=ADDRESS)
    for pid, (_, stock, wanted) in shelf.items():
        cart.add(products[pid], min(wanted, stock), NOW, UNCAPPED)

    order = Order.place(1, cart, products, "usd", NOW, shipping=FREE_SHIPPING)

    assert order.total_amount_cents == sum(item.price_snapshot * item.quantity for item in order.items)
    assert order.total_amount_cents == sum(
        products[line.product_id].price_cents * line.quantity for line in cart.lines_by_product_id()
    )
    assert [item.product_id for item in order.items] == sorted(shelf)


@PROPERTY_SETTINGS
@given(
    shelf=shelves, new_prices=st.lists(st.integers(min_value=0, max_value=MAX_INT32), min_size=8, max_size=8)
)
def test_the_order_total_ignores_price_changes_after_placing(
    shelf: dict[int, tuple[int, int, int]], new_prices: list[int]
) -> None:
    products = {pid: make_product(id=pid, price_cents=p, stock=s) for pid, (p, s, _) in shelf.items()}
    cart = Cart(user_id=1, shipping_address=ADDRESS)
    for pid, (_, stock, wanted) in shelf.items():
        cart.add(products[pid], min(wanted, stock), NOW, UNCAPPED)
    order = Order.place(1, cart, products, "usd", NOW, shipping=FREE_SHIPPING)
    total = order.total_amount_cents

    for product, price in zip(products.values(), new_prices, strict=False):
        product.revise(price_cents=price)

    assert order.total_amount_cents == total
    assert total == sum(shelf[pid][0] * min(shelf[pid][2], shelf[pid][1]) for pid in shelf)


# --- the order status machine ----------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(marks=st.lists(st.sampled_from(["paid", "failed"]), max_size=12))
def test_an_order_moves_once_from_pending_to_paid_or_failed_and_then_never_again(marks: list[str]) -> None:
    order = Order.place(1, *_one_line_cart(), "usd", NOW, shipping=FREE_SHIPPING)
    final: OrderStatus | None = None

    for step, mark in enumerate(marks, start=1):
        at = NOW + timedelta(seconds=step)
        before, updated_before = order.status, order.updated_at
        try:
            if mark == "paid":
                order.mark_paid(at)
            else:
                order.mark_failed(at, FailureReason.EXPIRED)
        except InvalidTransition:
            assert final is not None
            assert (order.status, order.updated_at) == (before, updated_before)
        else:
            assert final is None
            assert before is OrderStatus.PENDING
            final = OrderStatus.PAID if mark == "paid" else OrderStatus.FAILED
            assert order.status is final
            assert order.updated_at == at
        assert order.is_final == (final is not None)

    assert order.status is (final or OrderStatus.PENDING)


def _one_line_cart() -> tuple[Cart, dict[int, Product]]:
    product = make_product(id=1, stock=1)
    cart = Cart(user_id=1, shipping_address=ADDRESS)
    cart.add(product, 1, NOW, LIMITS)
    return cart, {1: product}


@PROPERTY_SETTINGS
@given(
    shelf=shelves,
    rate=st.integers(min_value=0, max_value=MAX_INT32),
    free_over=st.one_of(st.none(), st.integers(min_value=1, max_value=2 * MAX_INT32)),
    country=st.sampled_from(sorted(COUNTRIES)),
)
def test_the_order_total_is_its_lines_plus_its_shipping(
    shelf: dict[int, tuple[int, int, int]], rate: int, free_over: int | None, country: str
) -> None:
    products = {pid: make_product(id=pid, price_cents=p, stock=s) for pid, (p, s, _) in shelf.items()}
    cart = Cart(user_id=1, shipping_address=replace(ADDRESS, country=country))
    for pid, (_, stock, wanted) in shelf.items():
        cart.add(products[pid], min(wanted, stock), NOW, UNCAPPED)
    rates = ShippingRates(every_other_country=rate, free_over_cents=free_over)

    order = Order.place(1, cart, products, "usd", NOW, shipping=rates)

    lines = sum(item.price_snapshot * item.quantity for item in order.items)
    assert order.total_amount_cents == lines + order.shipping_cents
    assert order.shipping_cents == (0 if free_over is not None and lines >= free_over else rate)
    assert order.shipping_address == cart.shipping_address
