"""Stripe webhook verification: the `Stripe-Signature` header over the raw body, with the SDK.

`stripe.Webhook.construct_event` checks the v1 scheme (HMAC-SHA256 of `"{t}.{raw body}"` with the
endpoint's secret) and refuses a timestamp older than the tolerance (300 s). It accepts timestamps
in the future, which would let a signature leaked once be replayed for as long as its timestamp is
ahead: so this adapter refuses one more than the tolerance ahead too. A valid event may still be
delivered more than once: deduplication by event id is the webhook use case's job.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import stripe

from adapters.payments.stripe_answers import refund_result
from application.errors import InvalidWebhook
from application.ports import PaymentEvent, PaymentEventKind, ProviderRefund

TOLERANCE_SECONDS = 300
MAX_ORDER_ID = 2**53 - 1
"""The largest order id taken from metadata: beyond it, JSON clients lose precision."""

_CANONICAL_POSITIVE_INT = re.compile(r"[1-9][0-9]{0,15}")
_KINDS = {
    "payment_intent.succeeded": PaymentEventKind.SUCCEEDED,
    "payment_intent.payment_failed": PaymentEventKind.FAILED,
    "charge.refunded": PaymentEventKind.CHARGE_REFUNDED,
    "refund.updated": PaymentEventKind.REFUND_UPDATED,
}


class StripeWebhookVerifier:
    def __init__(
        self,
        secret: str,
        *,
        tolerance_seconds: int = TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret.strip():
            raise ValueError("a webhook signing secret is required")
        self._secret = secret
        self._tolerance = tolerance_seconds
        self._clock = clock

    def verify(self, payload: bytes, signature: str | None) -> PaymentEvent:
        if not signature:
            raise InvalidWebhook("the Stripe-Signature header is missing")
        if not signature.isascii():
            raise InvalidWebhook("the Stripe-Signature header is malformed")
        try:
            stripe.Webhook.construct_event(payload, signature, self._secret, tolerance=self._tolerance)
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook("the signature is malformed, wrong or stale") from error
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            # Not UTF-8, not JSON, or JSON that is not an event object.
            raise InvalidWebhook("the payload is not a Stripe event") from error
        if _timestamp(signature) > self._clock() + self._tolerance:
            raise InvalidWebhook("the signature's timestamp is in the future")
        return _read_event(json.loads(payload))


def _timestamp(signature: str) -> int:
    """The header's timestamp, read exactly as the SDK reads it: the first item named `t`. (The SDK
    has just checked the signature over it, so it is there and a whole number.)"""
    items = [item.split("=", 2) for item in signature.split(",")]
    return int(next(item[1] for item in items if item[0] == "t"))


def _read_event(document: object) -> PaymentEvent:
    if not isinstance(document, dict):
        raise InvalidWebhook("the payload is not a Stripe event")
    event_id = document.get("id")
    event_type = document.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise InvalidWebhook("the payload is not a Stripe event")
    data = document.get("data")
    subject = data.get("object") if isinstance(data, dict) else None
    subject = subject if isinstance(subject, dict) else {}
    payment_intent_id: str | None = None
    if event_type.startswith("payment_intent."):
        subject_id = subject.get("id")
        payment_intent_id = subject_id if isinstance(subject_id, str) and subject_id else None
    elif event_type in {"charge.refunded", "refund.updated"}:
        payment_intent_id = _text(subject.get("payment_intent"))
    metadata = subject.get("metadata")
    currency = subject.get("currency")
    return PaymentEvent(
        event_id=event_id,
        kind=_KINDS.get(event_type, PaymentEventKind.OTHER),
        payment_intent_id=payment_intent_id,
        order_id=_order_id(metadata.get("order_id") if isinstance(metadata, dict) else None),
        amount_cents=_cents(subject.get("amount_received", subject.get("amount"))),
        currency=currency.lower() if isinstance(currency, str) and currency else None,
        refunds=_refunds(event_type, subject, payment_intent_id),
    )


def _refunds(
    event_type: str, subject: dict[str, Any], payment_intent_id: str | None
) -> tuple[ProviderRefund, ...]:
    """A charge.refunded event's charge lists its refunds (`refunds.data`); a refund.updated
    event's object is the refund. A refund that cannot be read (no id, no amount) is left out."""
    if event_type == "refund.updated":
        listed: list[Any] = [subject]
    elif event_type == "charge.refunded":
        refunds = subject.get("refunds")
        data = refunds.get("data") if isinstance(refunds, dict) else None
        listed = data if isinstance(data, list) else []
    else:
        return ()
    read = (_refund(item, payment_intent_id) for item in listed if isinstance(item, dict))
    return tuple(refund for refund in read if refund is not None)


def _refund(item: dict[str, Any], payment_intent_id: str | None) -> ProviderRefund | None:
    refund_id = _text(item.get("id"))
    amount = _cents(item.get("amount"))
    if refund_id is None or not amount:
        return None
    metadata = item.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return ProviderRefund(
        refund_id=refund_id,
        amount_cents=amount,
        outcome=refund_result(item).outcome,
        payment_intent_id=_text(item.get("payment_intent")) or payment_intent_id,
        order_id=_order_id(metadata.get("order_id")),
        shop_refund_id=_order_id(metadata.get("refund_id")),
        reason=_text(item.get("reason")),
    )


def _text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None


def _cents(value: Any) -> int | None:
    """A JSON whole number of cents, not negative; anything else is no amount."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _order_id(value: Any) -> int | None:
    """A positive whole number up to 2**53 - 1: a canonical decimal string (what we send, Stripe's
    metadata values are strings) or a JSON integer; anything else (signs, spaces, leading zeros,
    fractions, booleans, huge values) is no order id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _CANONICAL_POSITIVE_INT.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ORDER_ID else None
