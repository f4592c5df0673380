"""Refund bodies: what staff send to refund an order, and a refund as orders show it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.ordering import MAX_ORDER_TOTAL_CENTS
from domain.refunds import REASON_MAX_LENGTH, Refund, RefundStatus, RestockLine
from domain.values import MAX_INT32
from entrypoints.http.parameters import MAX_ID

MAX_RESTOCK_LINES = 100


class RestockLineBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    product_id: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=MAX_INT32)]


class RefundOrderRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The whole body is optional: without `amount_cents`, all that is left is refunded."""

    amount_cents: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=MAX_ORDER_TOTAL_CENTS,
                description="At most what is left: the total less what was refunded and what "
                "refunds still waiting for the provider hold. Default: all of it.",
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=REASON_MAX_LENGTH)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    restock: (
        Annotated[
            list[RestockLineBody],
            msgspec.Meta(
                max_length=MAX_RESTOCK_LINES,
                description="Units put back on the shelf once the provider confirms the refund: at "
                "most what the order holds of each product, counting earlier refunds' restocks.",
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET

    def restock_lines(self) -> tuple[RestockLine, ...]:
        if isinstance(self.restock, msgspec.UnsetType):
            return ()
        return tuple(RestockLine(product_id=line.product_id, quantity=line.quantity) for line in self.restock)


class RestockedResponse(msgspec.Struct, kw_only=True):
    product_id: int
    quantity: int


class RefundResponse(msgspec.Struct, kw_only=True):
    id: int
    amount_cents: int
    reason: str | None
    status: Annotated[
        RefundStatus,
        msgspec.Meta(
            description="PENDING: asked for, the provider's answer not known yet (its amount is held). "
            "SUCCEEDED: given back (or accepted by the provider, on its way). FAILED: nothing given back."
        ),
    ]
    restocked: list[RestockedResponse]
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundResponse:
        if refund.id is None:
            raise ValueError("an unsaved refund has no public form")
        return cls(
            id=refund.id,
            amount_cents=refund.amount_cents,
            reason=refund.reason,
            status=refund.status,
            restocked=[
                RestockedResponse(product_id=line.product_id, quantity=line.quantity)
                for line in refund.restocked
            ],
            created_at=refund.created_at,
        )
