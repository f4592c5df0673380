from __future__ import annotations

from typing import Annotated

import msgspec

from application.queries import CustomerOrder, Page
from entrypoints.http.schemas.shopping import OrderResponse


class AdminOrderResponse(OrderResponse, kw_only=True):
    """An order as staff see it: any customer's, with their email."""

    user_email: Annotated[str, msgspec.Meta(description="The email of the customer who placed the order.")]

    @classmethod
    def of_customer_order(cls, found: CustomerOrder) -> AdminOrderResponse:
        order = OrderResponse.of(found.order)
        return cls(**msgspec.structs.asdict(order), user_email=found.user_email)


class AdminOrderPage(msgspec.Struct, kw_only=True):
    items: list[AdminOrderResponse]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[CustomerOrder]) -> AdminOrderPage:
        return cls(
            items=[AdminOrderResponse.of_customer_order(found) for found in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
