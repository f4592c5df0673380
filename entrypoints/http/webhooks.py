"""/webhooks/stripe: the payment provider telling how payments ended."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from application.payments import SettlePayment
from application.ports import WebhookVerifier
from entrypoints.http.problems import problems
from entrypoints.http.schemas.shopping import WebhookReceipt
from entrypoints.http.security import PUBLIC


@post(
    "/webhooks/stripe",
    opt={PUBLIC: True},
    status_code=200,
    tags=["payments"],
    responses={
        **problems(400),
        200: ResponseSpec(WebhookReceipt, description="Acknowledged (also redeliveries and ignored types)."),
    },
)
async def stripe_webhook(
    request: Request[Any, Any, Any],
    webhook_verifier: NamedDependency[WebhookVerifier],
    settle_payment: NamedDependency[SettlePayment],
) -> WebhookReceipt:
    """The raw body is verified against `Stripe-Signature` (v1, 300 s tolerance); a bad or missing
    signature is 400. Each event is applied once; PAID and FAILED are final."""
    event = webhook_verifier.verify(await request.body(), request.headers.get("stripe-signature"))
    settlement = await settle_payment(event)
    return WebhookReceipt(received=True, outcome=settlement.value)
