"""Why an order failed, and the client secret a PENDING order keeps for its owner."""

from __future__ import annotations

import dataclasses

import pytest

from domain.errors import InvalidValue, OrderNotPending
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus, PaymentOutcome, Settled
from tests.unit.builders import NOW

LATER = NOW.replace(year=NOW.year + 1)
SECRET = "pi_1_secret_abc"


def pending() -> Order:
    item = OrderItem(product_id=1, title_snapshot="Prince Caspian", price_snapshot=899, quantity=1)
    return Order(user_id=1, currency="usd", items=(item,), created_at=NOW, id=7)


@pytest.mark.parametrize("reason", list(FailureReason))
def test_a_refused_payment_fails_the_order_for_the_reason_given(reason: FailureReason) -> None:
    order = pending()

    assert order.settle(PaymentOutcome.REFUSED, LATER, reason) is Settled.FAILED

    assert (order.status, order.failure_reason) == (OrderStatus.FAILED, reason)


def test_a_final_order_keeps_its_first_reason() -> None:
    order = pending()
    order.settle(PaymentOutcome.REFUSED, LATER, FailureReason.EXPIRED)

    assert order.settle(PaymentOutcome.REFUSED, LATER, FailureReason.CANCELLED) is Settled.ALREADY_FINAL
    assert order.failure_reason is FailureReason.EXPIRED


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (OrderStatus.FAILED, None),
        (OrderStatus.PENDING, FailureReason.DECLINED),
        (OrderStatus.PAID, FailureReason.CANCELLED),
    ],
)
def test_every_failed_order_has_a_reason_and_only_they(
    status: OrderStatus, reason: FailureReason | None
) -> None:
    with pytest.raises(InvalidValue):
        dataclasses.replace(pending(), status=status, failure_reason=reason)


def test_the_client_secret_is_kept_while_pending_and_gone_once_final() -> None:
    paid, failed = pending(), pending()
    for order in (paid, failed):
        order.await_customer(SECRET)
        assert order.client_secret_for_owner == SECRET

    paid.settle(PaymentOutcome.RECEIVED, LATER, FailureReason.DECLINED)
    failed.settle(PaymentOutcome.REFUSED, LATER, FailureReason.CANCELLED)

    assert (paid.payment_client_secret, failed.payment_client_secret) == (None, None)
    assert (paid.client_secret_for_owner, failed.client_secret_for_owner) == (None, None)
    paid.await_customer("pi_2_secret_late")
    assert paid.client_secret_for_owner is None


@pytest.mark.parametrize("outcome", [PaymentOutcome.RECEIVED, PaymentOutcome.REFUSED])
def test_only_a_pending_order_can_be_cancelled_or_paid_again(outcome: PaymentOutcome) -> None:
    order = pending()
    order.ensure_pending("cancelled")
    order.settle(outcome, LATER, FailureReason.CANCELLED)

    with pytest.raises(OrderNotPending) as refused:
        order.ensure_pending("cancelled")

    assert (refused.value.order_id, refused.value.status) == (7, order.status.value)
