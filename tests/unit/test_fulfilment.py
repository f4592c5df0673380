"""Fulfilment: UNFULFILLED → SHIPPED → DELIVERED, only for a PAID order not refunded in full, each
step once; payment and fulfilment stay apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cart import Cart
from domain.errors import InvalidValue, OrderNotShippable
from domain.fulfilment import NOT_SHIPPED, Fulfilment, FulfilmentStatus, Shipment
from domain.ordering import FailureReason, Order, OrderStatus
from tests.unit.builders import ADDRESS, FREE_SHIPPING, LIMITS, NOW, make_product

LATER = NOW + timedelta(days=1)
DHL = Shipment("DHL", "JD0146000062")


def order(status: OrderStatus = OrderStatus.PAID, refunded_cents: int = 0) -> Order:
    product = make_product(id=1, price_cents=1000, stock=5)
    cart = Cart(user_id=7, shipping_address=ADDRESS)
    cart.add(product, 2, NOW, LIMITS)
    placed = Order.place(7, cart, {1: product}, "usd", NOW, shipping=FREE_SHIPPING)
    placed.id = 42
    if status is OrderStatus.PAID:
        placed.mark_paid(NOW)
    elif status is OrderStatus.FAILED:
        placed.mark_failed(NOW, FailureReason.DECLINED)
    if refunded_cents:
        placed.record_refund(refunded_cents, NOW)
    return placed


def test_a_new_order_is_unfulfilled() -> None:
    assert order(OrderStatus.PENDING).fulfilment == NOT_SHIPPED
    assert Fulfilment(status=FulfilmentStatus.UNFULFILLED) == NOT_SHIPPED


def test_shipping_a_paid_order_records_carrier_tracking_and_time_and_keeps_it_paid() -> None:
    paid = order()

    paid.ship(Shipment("  DHL Express ", " JD0146000062 "), LATER)

    assert paid.fulfilment == Fulfilment(
        status=FulfilmentStatus.SHIPPED,
        carrier="DHL Express",
        tracking_number="JD0146000062",
        shipped_at=LATER,
    )
    assert paid.status is OrderStatus.PAID
    assert paid.updated_at == LATER


def test_a_partly_refunded_order_still_ships() -> None:
    paid = order(refunded_cents=1999)

    paid.ship(DHL, LATER)

    assert paid.fulfilment.status is FulfilmentStatus.SHIPPED


@pytest.mark.parametrize(
    ("unshippable", "reason"),
    [
        (lambda: order(OrderStatus.PENDING), "PENDING, not PAID"),
        (lambda: order(OrderStatus.FAILED), "FAILED, not PAID"),
        (lambda: order(refunded_cents=2000), "refunded in full"),
    ],
    ids=["pending", "failed", "refunded in full"],
)
def test_only_a_paid_order_not_refunded_in_full_ships(unshippable: object, reason: str) -> None:
    target = unshippable()  # type: ignore[operator]
    before = (target.fulfilment, target.updated_at)

    with pytest.raises(OrderNotShippable, match=reason):
        target.ship(DHL, LATER)

    assert (target.fulfilment, target.updated_at) == before


def test_an_order_ships_once() -> None:
    paid = order()
    paid.ship(DHL, NOW)

    with pytest.raises(OrderNotShippable, match="already SHIPPED"):
        paid.ship(Shipment("UPS", "1Z999"), LATER)

    assert (paid.fulfilment.carrier, paid.fulfilment.shipped_at) == ("DHL", NOW)


def test_delivering_a_shipped_order_records_the_time() -> None:
    paid = order()
    paid.ship(DHL, NOW)

    paid.deliver(LATER)

    assert paid.fulfilment.status is FulfilmentStatus.DELIVERED
    assert (paid.fulfilment.shipped_at, paid.fulfilment.delivered_at) == (NOW, LATER)
    assert paid.fulfilment.carrier == "DHL"


@pytest.mark.parametrize("status", list(OrderStatus))
def test_an_order_never_shipped_is_not_delivered(status: OrderStatus) -> None:
    target = order(status)

    with pytest.raises(OrderNotShippable, match="cannot be delivered: it is UNFULFILLED"):
        target.deliver(LATER)


def test_an_order_is_delivered_once() -> None:
    paid = order()
    paid.ship(DHL, NOW)
    paid.deliver(NOW)

    with pytest.raises(OrderNotShippable, match="DELIVERED, not SHIPPED"):
        paid.deliver(LATER)
    with pytest.raises(OrderNotShippable, match="already DELIVERED"):
        paid.ship(DHL, LATER)


def test_a_shipped_order_refunded_in_full_on_its_way_is_still_delivered() -> None:
    paid = order()
    paid.ship(DHL, NOW)
    paid.record_refund(paid.total_amount_cents, NOW)

    paid.deliver(LATER)

    assert paid.fulfilment.status is FulfilmentStatus.DELIVERED


@pytest.mark.parametrize(
    ("carrier", "tracking", "field"),
    [
        ("", "1", "carrier"),
        ("   ", "1", "carrier"),
        ("D" * 101, "1", "carrier"),
        ("DHL\nBcc: someone@example.com", "1", "carrier"),
        ("DHL", "12\t34", "tracking_number"),
        ("DHL", "12\x0034", "tracking_number"),
        ("DHL", "12\x1b[31m", "tracking_number"),
        ("DHL", "1\x852", "tracking_number"),
        ("DHL", "T" * 101, "tracking_number"),
    ],
    ids=repr,
)
def test_a_shipment_is_one_line_of_text_each(carrier: str, tracking: str, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Shipment(carrier, tracking)

    assert refused.value.field == field


def test_a_fulfilment_carries_exactly_the_facts_of_its_status() -> None:
    with pytest.raises(InvalidValue):
        Fulfilment(status=FulfilmentStatus.SHIPPED)
    with pytest.raises(InvalidValue):
        Fulfilment(carrier="DHL")
    with pytest.raises(InvalidValue):
        Fulfilment(
            status=FulfilmentStatus.SHIPPED,
            carrier="DHL",
            tracking_number="1",
            shipped_at=NOW,
            delivered_at=NOW,
        )


def test_only_a_paid_order_is_ever_stored_as_shipped() -> None:
    shipped = Fulfilment(status=FulfilmentStatus.SHIPPED, carrier="DHL", tracking_number="1", shipped_at=NOW)
    pending = order(OrderStatus.PENDING)

    with pytest.raises(InvalidValue, match="fulfilment"):
        Order(user_id=7, currency="usd", items=pending.items, created_at=NOW, fulfilment=shipped)


# --- the property: whatever staff attempt, in whatever order ---------------------------------------

attempts = st.lists(st.sampled_from(["ship", "deliver", "refund_all"]), max_size=12)


@given(
    status=st.sampled_from(list(OrderStatus)),
    refunded=st.sampled_from([0, 1, 2000]),
    steps=attempts,
)
def test_any_sequence_of_attempts_leaves_a_legal_state_each_step_at_most_once(
    status: OrderStatus, refunded: int, steps: list[str]
) -> None:
    target = order(status, refunded if status is not OrderStatus.PENDING else 0)
    ships = deliveries = 0
    for n, step in enumerate(steps):
        now = NOW + timedelta(minutes=n)
        before = target.fulfilment
        shippable = target.status is OrderStatus.PAID and target.refundable_cents > 0
        try:
            if step == "ship":
                target.ship(DHL, now)
                ships += 1
                assert before.status is FulfilmentStatus.UNFULFILLED
                assert shippable
            elif step == "deliver":
                target.deliver(now)
                deliveries += 1
                assert before.status is FulfilmentStatus.SHIPPED
            elif target.status is not OrderStatus.PENDING and target.refundable_cents:
                target.record_refund(target.refundable_cents, now)
        except OrderNotShippable:
            assert target.fulfilment == before  # a refused step changes nothing

        assert target.status is status  # fulfilment never moves the payment's status
        # Rebuilding the order checks every invariant (the facts of each status, PAID if shipped).
        Order(
            user_id=target.user_id,
            currency=target.currency,
            items=target.items,
            created_at=target.created_at,
            status=target.status,
            refunded_cents=target.refunded_cents,
            fulfilment=target.fulfilment,
            failure_reason=target.failure_reason,
            shipping_address=target.shipping_address,
            shipping_cents=target.shipping_cents,
        )
    assert ships <= 1
    assert deliveries <= ships
    assert (target.fulfilment.status is FulfilmentStatus.DELIVERED) == (deliveries == 1)
