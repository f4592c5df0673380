from __future__ import annotations

import pytest

from domain.errors import InvalidValue, QuantityAboveLimit, TooManyPendingOrders
from domain.limits import PurchaseLimits
from tests.unit.builders import LIMITS


@pytest.mark.parametrize("quantity", [1, 10])
def test_a_line_up_to_the_cap_is_allowed(quantity: int) -> None:
    LIMITS.ensure_line_allowed(7, quantity)


def test_a_line_above_the_cap_is_refused_as_an_invalid_quantity() -> None:
    with pytest.raises(QuantityAboveLimit) as refused:
        LIMITS.ensure_line_allowed(7, 11)

    assert isinstance(refused.value, InvalidValue)
    assert refused.value.field == "quantity"
    assert "at most 10" in refused.value.message


@pytest.mark.parametrize("pending", [0, 1])
def test_a_customer_below_the_pending_cap_may_place_an_order(pending: int) -> None:
    LIMITS.ensure_may_place_order(pending)


@pytest.mark.parametrize("pending", [2, 3])
def test_a_customer_holding_the_most_unpaid_orders_may_not_place_another(pending: int) -> None:
    with pytest.raises(TooManyPendingOrders) as refused:
        LIMITS.ensure_may_place_order(pending)

    assert refused.value.limit == 2


@pytest.mark.parametrize(
    ("per_line", "pending"), [(0, 2), (10, 0), (-1, 2)], ids=["no line", "no order", "negative"]
)
def test_limits_that_would_forbid_every_purchase_are_refused(per_line: int, pending: int) -> None:
    with pytest.raises(InvalidValue):
        PurchaseLimits(max_quantity_per_line=per_line, max_pending_orders=pending)
