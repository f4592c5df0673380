"""Whatever staff ask and however the provider answers, an order never gives back more than was
paid, and never puts back more units than it sold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.ordering import Order, OrderItem, OrderStatus
from domain.refunds import RefundExceedsPayment, RefundStatus, RestockLine

NOW = datetime(2026, 12, 1, tzinfo=UTC)

ask = st.tuples(
    st.just("ask"), st.one_of(st.none(), st.integers(1, 3000)), st.integers(0, 4), st.integers(0, 6)
)
settle = st.tuples(st.just("settle"), st.integers(0, 20), st.sampled_from(list(RefundStatus)), st.none())
outside = st.tuples(st.just("outside"), st.integers(1, 3000), st.integers(0, 3), st.none())


def _paid_order() -> Order:
    return Order(
        id=1,
        user_id=1,
        currency="usd",
        created_at=NOW,
        status=OrderStatus.PAID,
        payment_intent_id="pi_1",
        items=(
            OrderItem(product_id=10, title_snapshot="A", price_snapshot=500, quantity=2),
            OrderItem(product_id=11, title_snapshot="B", price_snapshot=250, quantity=3),
        ),
    )


@given(st.lists(st.one_of(ask, settle, outside), max_size=25))
def test_refunds_never_exceed_the_total_nor_restock_more_than_was_sold(
    steps: list[tuple[Any, ...]],
) -> None:
    order = _paid_order()
    next_id = 1
    for kind, first, second, third in steps:
        if kind == "ask":
            assert first is None or isinstance(first, int)
            restock = (RestockLine(product_id=10 + int(second) % 2, quantity=int(third)),) if third else ()
            try:
                order.ask_refund(amount_cents=first, now=NOW, restock=restock)
            except (RefundExceedsPayment, InvalidValue):
                continue
            order.refunds = (*order.refunds[:-1], replace(order.refunds[-1], id=next_id))  # as the store does
            next_id += 1
        elif kind == "settle" and order.refunds:
            refund = order.refunds[int(first) % len(order.refunds)]
            assert isinstance(second, RefundStatus)
            order.settle_refund(refund.id or 0, second, NOW)
        elif kind == "outside":
            made = order.record_refund_made_outside(
                amount_cents=int(first), now=NOW, provider_refund_id=f"re_{second}"
            )
            if made is not None:
                order.refunds = (*order.refunds[:-1], replace(made, id=next_id))
                next_id += 1

        assert 0 <= order.refunded_cents <= order.total_amount_cents
        assert order.refund_left_cents >= 0
        succeeded = sum(r.amount_cents for r in order.refunds if r.status is RefundStatus.SUCCEEDED)
        assert order.refunded_cents <= succeeded
        for product, sold in ((10, 2), (11, 3)):
            back = sum(
                line.quantity
                for r in order.refunds
                if r.status is not RefundStatus.FAILED
                for line in r.restocked
                if line.product_id == product
            )
            assert back <= sold
