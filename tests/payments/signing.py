"""Stripe webhook signing for tests: the `Stripe-Signature` header Stripe would send, and event bodies.

Stripe's v1 scheme: HMAC-SHA256, keyed with the endpoint secret, over `"{timestamp}.{raw body}"`;
the header is `t=<timestamp>,v1=<hex digest>`. Computed here by hand (not with the SDK) so the tests
check the SDK's verification against the published scheme.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed(payload: bytes, secret: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
    """The payload and a signature header for it, signed now unless told otherwise."""
    return payload, stripe_signature(payload, secret, int(time.time()) if timestamp is None else timestamp)


_ABSENT = object()


def payment_intent_event(
    event_type: str,
    *,
    payment_intent_id: str = "pi_test_0123456789",
    order_id: object = "1",
    event_id: str | None = None,
    amount: object = 1999,
    currency: str = "usd",
    amount_received: object = _ABSENT,
    padding: int = 0,
) -> bytes:
    """A Stripe event body about a payment intent, as Stripe serialises it. `order_id=None` leaves
    metadata.order_id out; anything else is put there as given (Stripe sends strings). A succeeded
    intent received its amount unless `amount_received` says otherwise. `padding` adds that many
    bytes of description (Stripe's events can be large)."""
    metadata: dict[str, Any] = {} if order_id is None else {"order_id": order_id}
    succeeded = event_type == "payment_intent.succeeded"
    if amount_received is _ABSENT:
        amount_received = amount if succeeded else 0
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {
            "object": {
                "id": payment_intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount_received,
                "currency": currency,
                "description": "x" * padding,
                "status": "succeeded" if succeeded else "requires_payment_method",
                "metadata": metadata,
            }
        },
    }
    return json.dumps(event).encode()


def refund_object(
    refund_id: str,
    *,
    amount: int,
    payment_intent_id: str,
    status: str = "succeeded",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Stripe Refund object as its events carry it."""
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "usd",
        "payment_intent": payment_intent_id,
        "reason": "requested_by_customer",
        "status": status,
        "metadata": metadata or {},
    }


def refund_event(event_type: str, subject: dict[str, Any], event_id: str | None = None) -> bytes:
    """`refund.updated` about a refund object, or `charge.refunded` about a charge (see
    `refunded_charge`)."""
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": subject},
    }
    return json.dumps(event).encode()


def refunded_charge(payment_intent_id: str, amount: int, *refunds: dict[str, Any]) -> dict[str, Any]:
    """A Charge object of a payment intent with its refunds listed (`refunds.data`)."""
    return {
        "id": f"ch_{uuid.uuid4().hex[:24]}",
        "object": "charge",
        "amount": amount,
        "amount_refunded": sum(int(r["amount"]) for r in refunds),
        "currency": "usd",
        "payment_intent": payment_intent_id,
        "refunded": sum(int(r["amount"]) for r in refunds) == amount,
        "metadata": {},
        "refunds": {"object": "list", "data": list(refunds), "has_more": False},
    }
