"""/webhooks/stripe: the payment provider telling how payments ended."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.openapi.datastructures import ResponseSpec

from application.ports import WebhookVerifier
from application.settle_payment import SettlePayment
from entrypoints.http.dependencies import Inject
from entrypoints.http.problems import problems
from entrypoints.http.schemas.shopping import WebhookReceipt
from entrypoints.http.security import PUBLIC

MAX_WEBHOOK_BODY_BYTES = 512 * 1024
"""Stripe's events can be larger than the API's 64 KiB limit for other routes."""


@post(
    "/webhooks/stripe",
    opt={PUBLIC: True},
    status_code=200,
    tags=["payments"],
    request_max_body_size=MAX_WEBHOOK_BODY_BYTES,
    responses={
        **problems(400, 413),
        200: ResponseSpec(WebhookReceipt, description="Acknowledged (also redeliveries and ignored types)."),
    },
)
async def stripe_webhook(
    request: Request[Any, Any, Any],
    webhook_verifier: Inject[WebhookVerifier],
    settle_payment: Inject[SettlePayment],
) -> WebhookReceipt:
    """The raw body (up to 512 KiB) is verified against `Stripe-Signature` (v1; its timestamp at
    most 300 s in the past or in the future); a bad or missing signature is 400. Each event is
    applied once; PAID and FAILED are final. `payment_intent.succeeded` pays a PENDING order only
    for the order's exact total and currency (else `outcome: amount_mismatch`, nothing changes).
    A payment that succeeds for a FAILED order is refunded in full (`outcome: refunded`); when the
    refund cannot be made now the answer is 503 `payment_unavailable`, so Stripe delivers the
    event again and the refund is retried (never twice)."""
    event = webhook_verifier.verify(await request.body(), request.headers.get("stripe-signature"))
    settlement = await settle_payment(event)
    return WebhookReceipt(received=True, outcome=settlement.value)
