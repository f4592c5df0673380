"""/admin/orders/{id}/refunds: staff give money back on an order (mounted on the admin router)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, post
from litestar.params import HeaderParameter, JSONBody

from application.refund_order import IDEMPOTENCY_KEY_MAX_LENGTH, RefundAsked, RefundOrder
from entrypoints.http.bodies import OptionalStrictBody
from entrypoints.http.dependencies import Inject
from entrypoints.http.openapi import OptionalBodyOperation
from entrypoints.http.parameters import Id
from entrypoints.http.problems import problems
from entrypoints.http.schemas import given
from entrypoints.http.schemas.refunds import RefundOrderRequest, RefundResponse
from entrypoints.http.security import Caller, caller_id

RefundKey = Annotated[str, msgspec.Meta(min_length=1, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)]


class AdminRefundController(Controller):
    path = "/orders/{order_id:int}/refunds"

    @post(
        "/",
        status_code=201,
        operation_id="refundOrder",
        dto=OptionalStrictBody[RefundOrderRequest],
        operation_class=OptionalBodyOperation,
        responses=problems(400, 401, 402, 403, 404, 409),
    )
    async def refund(
        self,
        request: Caller,
        order_id: Id,
        refund_order: Inject[RefundOrder],
        data: JSONBody[RefundOrderRequest | None] = None,
        idempotency_key: Annotated[
            RefundKey | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="The same key again, from the same staff member for the same order, answers "
                "with the same refund: never a second refund.",
            ),
        ] = None,
    ) -> RefundResponse:
        """Give money back on a PAID order through the payment provider, in full (no body, or no
        `amount_cents`: all that is left) or in part, and optionally put units back on the shelf
        (`restock`, at most what the order holds of each product counting earlier refunds'
        restocks, else 400). 201 with the refund, SUCCEEDED: the order's `refunded_cents` grew and
        the units are back. 409 `order_not_refundable` for an order that is not PAID;
        409 `refund_exceeds_payment` above what is left (the total, less what was refunded and
        what refunds still waiting for the provider hold; concurrent refunds never add up to more
        than was paid). 503 `payment_unavailable` (with `refund_id`): the provider could not be
        reached — the refund is FAILED, nothing refunded — or gave no clear answer — the refund
        stays PENDING, holding its amount, until the same Idempotency-Key is sent again or the
        provider's refund event settles it. 402 `payment_declined` (with `refund_id`): the provider
        refused it (e.g. the payment was refunded in its dashboard already); FAILED, nothing
        refunded. A replayed Idempotency-Key answers 201 with the refund as it stands."""
        body = data or RefundOrderRequest()
        refund = await refund_order(
            RefundAsked(
                order_id=order_id,
                staff_id=caller_id(request),
                amount_cents=given(body.amount_cents),
                reason=given(body.reason),
                restock=body.restock_lines(),
                idempotency_key=idempotency_key,
            )
        )
        return RefundResponse.of(refund)
