"""Stripe webhook verification with the SDK, on payloads signed here by hand (Stripe's v1 scheme)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from adapters.payments.stripe_webhooks import StripeWebhookVerifier
from application.errors import InvalidWebhook
from application.ports import PaymentEventKind, RefundOutcome
from tests.payments.signing import (
    payment_intent_event,
    refund_event,
    refund_object,
    refunded_charge,
    stripe_signature,
)

SECRET = "whsec_test_secret"


@pytest.fixture
def verifier() -> StripeWebhookVerifier:
    return StripeWebhookVerifier(SECRET)


def now() -> int:
    return int(time.time())


# --- valid events -------------------------------------------------------------------------------


def test_a_succeeded_payment_intent_is_read(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event(
        "payment_intent.succeeded", payment_intent_id="pi_123", order_id="42", event_id="evt_1"
    )

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.event_id == "evt_1"
    assert event.kind is PaymentEventKind.SUCCEEDED
    assert event.payment_intent_id == "pi_123"
    assert event.order_id == 42


def test_a_failed_payment_intent_is_read(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.payment_failed", payment_intent_id="pi_456", order_id="7")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.kind is PaymentEventKind.FAILED
    assert event.payment_intent_id == "pi_456"
    assert event.order_id == 7


def test_another_payment_intent_event_is_other(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.created", payment_intent_id="pi_789")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.kind is PaymentEventKind.OTHER
    assert event.payment_intent_id == "pi_789"


def test_an_event_about_something_else_is_other_without_a_payment_intent(
    verifier: StripeWebhookVerifier,
) -> None:
    payload = json.dumps(
        {
            "id": "evt_2",
            "object": "event",
            "type": "charge.succeeded",
            "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "metadata": {}}},
        }
    ).encode()

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.kind is PaymentEventKind.OTHER
    assert event.payment_intent_id is None


def test_an_event_without_data_is_still_an_event(verifier: StripeWebhookVerifier) -> None:
    payload = json.dumps({"id": "evt_3", "object": "event", "type": "ping"}).encode()

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert (event.event_id, event.kind, event.order_id) == ("evt_3", PaymentEventKind.OTHER, None)


# --- amount and currency -------------------------------------------------------------------------


def test_the_amount_and_currency_are_read(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded", amount=899, currency="EUR")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert (event.amount_cents, event.currency) == (899, "eur")


def test_what_the_intent_received_is_its_amount(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded", amount=899, amount_received=1)

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.amount_cents == 1


@pytest.mark.parametrize("amount", [None, "899", 899.0, -1, True])
def test_an_amount_that_is_not_whole_cents_is_no_amount(
    verifier: StripeWebhookVerifier, amount: object
) -> None:
    payload = payment_intent_event("payment_intent.succeeded", amount=amount)

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.amount_cents is None


# --- metadata.order_id --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        ("1", 1),
        ("9007199254740991", 2**53 - 1),
        (42, 42),  # a JSON number (Stripe sends strings, but a whole number is a whole number)
        (None, None),  # no order_id in the metadata
        ("", None),
        ("abc", None),
        ("12abc", None),
        ("-3", None),
        ("0", None),
        ("007", None),
        ("+7", None),
        (" 7", None),
        ("7\n", None),
        ("1_000", None),
        ("12.0", None),
        ("1e3", None),
        ("١٢", None),  # Arabic-Indic digits: int() would take them, a decimal string they are not
        ("9007199254740992", None),
        ("9" * 400, None),
        (12.5, None),
        (True, None),
        (0, None),
        (2**53, None),
        ({"id": 1}, None),
    ],
)
def test_the_order_id_is_a_positive_whole_number_up_to_2_53(
    verifier: StripeWebhookVerifier, order_id: object, expected: int | None
) -> None:
    payload = payment_intent_event("payment_intent.succeeded", order_id=order_id)

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.order_id == expected


# --- refused ------------------------------------------------------------------------------------


def test_a_tampered_payload_is_refused(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.payment_failed", order_id="1")
    signature = stripe_signature(payload, SECRET, now())
    tampered = payload.replace(b"payment_intent.payment_failed", b"payment_intent.succeeded")

    with pytest.raises(InvalidWebhook):
        verifier.verify(tampered, signature)


def test_a_signature_made_with_another_secret_is_refused(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded")

    with pytest.raises(InvalidWebhook):
        verifier.verify(payload, stripe_signature(payload, "whsec_someone_else", now()))


@pytest.mark.parametrize("header", [None, ""])
def test_a_missing_signature_is_refused(verifier: StripeWebhookVerifier, header: str | None) -> None:
    with pytest.raises(InvalidWebhook):
        verifier.verify(payment_intent_event("payment_intent.succeeded"), header)


def test_a_timestamp_older_than_five_minutes_is_refused(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded")

    with pytest.raises(InvalidWebhook):
        verifier.verify(payload, stripe_signature(payload, SECRET, now() - 301))


def test_a_timestamp_within_five_minutes_is_accepted(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded", event_id="evt_recent")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now() - 280))

    assert event.event_id == "evt_recent"


@pytest.mark.parametrize("ahead", [301, 3600, 365 * 24 * 3600])
def test_a_timestamp_more_than_five_minutes_ahead_is_refused(
    verifier: StripeWebhookVerifier, ahead: int
) -> None:
    # Stripe's SDK only bounds the age of a signature; a signature dated a year ahead would stay
    # valid, and replayable, for a year.
    payload = payment_intent_event("payment_intent.succeeded", event_id="evt_future")

    with pytest.raises(InvalidWebhook, match="future"):
        verifier.verify(payload, stripe_signature(payload, SECRET, now() + ahead))


def test_a_timestamp_a_little_ahead_is_accepted(verifier: StripeWebhookVerifier) -> None:
    # Clocks drift: up to the tolerance ahead is as good as up to the tolerance behind.
    payload = payment_intent_event("payment_intent.succeeded", event_id="evt_ahead")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now() + 280))

    assert event.event_id == "evt_ahead"


def test_the_tolerance_ahead_is_measured_with_the_verifiers_clock() -> None:
    payload = payment_intent_event("payment_intent.succeeded")
    signature = stripe_signature(payload, SECRET, 1_000_000)
    verifier = StripeWebhookVerifier(SECRET, clock=lambda: 1_000_000 - 301.0)

    with pytest.raises(InvalidWebhook):
        verifier.verify(payload, signature)


def test_a_header_with_only_a_v0_signature_is_refused(verifier: StripeWebhookVerifier) -> None:
    payload = payment_intent_event("payment_intent.succeeded")
    timestamp = now()
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()

    with pytest.raises(InvalidWebhook):
        verifier.verify(payload, f"t={timestamp},v0={digest}")


def test_one_matching_v1_signature_among_several_is_enough(verifier: StripeWebhookVerifier) -> None:
    # What Stripe sends while an endpoint secret is being rolled: one signature per live secret.
    payload = payment_intent_event("payment_intent.succeeded", event_id="evt_rolled")
    timestamp = now()
    old = stripe_signature(payload, "whsec_old_secret", timestamp).split(",")[1]
    current = stripe_signature(payload, SECRET, timestamp)

    event = verifier.verify(payload, f"{current},{old}")

    assert event.event_id == "evt_rolled"


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=abc,v1=00", "v1=00", "t=1700000000", "t=1700000000,v1", "t=é,v1=é"],
)
def test_a_malformed_header_is_refused(verifier: StripeWebhookVerifier, header: str) -> None:
    with pytest.raises(InvalidWebhook):
        verifier.verify(payment_intent_event("payment_intent.succeeded"), header)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"id": "evt_1", ',
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'"evt_1"',
        b"{}",
        b'{"type": "payment_intent.succeeded"}',
        b'{"id": "evt_1"}',
        b'{"id": 12, "type": "payment_intent.succeeded"}',
    ],
)
def test_a_signed_payload_that_is_not_an_event_is_refused(
    verifier: StripeWebhookVerifier, payload: bytes
) -> None:
    with pytest.raises(InvalidWebhook):
        verifier.verify(payload, stripe_signature(payload, SECRET, now()))


def test_an_empty_secret_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="secret"):
        StripeWebhookVerifier("  ")


# --- refunds ------------------------------------------------------------------------------------


def test_a_charge_refunded_event_lists_the_charges_refunds(verifier: StripeWebhookVerifier) -> None:
    ours = refund_object(
        "re_1", amount=300, payment_intent_id="pi_9", metadata={"order_id": "42", "refund_id": "7"}
    )
    outside = refund_object("re_2", amount=200, payment_intent_id="pi_9", status="pending")
    payload = refund_event("charge.refunded", refunded_charge("pi_9", 1000, ours, outside), "evt_r")

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert (event.kind, event.payment_intent_id) == (PaymentEventKind.CHARGE_REFUNDED, "pi_9")
    assert [
        (r.refund_id, r.amount_cents, r.outcome, r.order_id, r.shop_refund_id) for r in event.refunds
    ] == [
        ("re_1", 300, RefundOutcome.SUCCEEDED, 42, 7),
        ("re_2", 200, RefundOutcome.PENDING, None, None),
    ]


def test_a_refund_updated_event_carries_its_refund(verifier: StripeWebhookVerifier) -> None:
    payload = refund_event(
        "refund.updated", refund_object("re_3", amount=50, payment_intent_id="pi_9", status="failed")
    )

    event = verifier.verify(payload, stripe_signature(payload, SECRET, now()))

    assert event.kind is PaymentEventKind.REFUND_UPDATED
    [refund] = event.refunds
    assert (refund.refund_id, refund.amount_cents, refund.outcome, refund.payment_intent_id) == (
        "re_3",
        50,
        RefundOutcome.REFUSED,
        "pi_9",
    )
