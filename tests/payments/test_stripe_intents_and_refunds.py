"""The Stripe adapter's status, cancel and refund, with the real SDK over real HTTP, against our
fake Stripe API: what Stripe says, and what each failure means for the money."""

from __future__ import annotations

import time

import pytest

from adapters.payments.stripe_provider import StripePaymentProvider
from application.ports import (
    ChargeRequest,
    IntentState,
    PaymentIntentStatus,
    RefundOutcome,
    RefundRequest,
)
from tests.payments.conftest import CLIENT_TIMEOUT
from tests.payments.fake_stripe import Behaviour, FakeStripe

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")


async def _intent(provider: StripePaymentProvider, payment_method_id: str | None, order_id: int = 7) -> str:
    result = await provider.charge(
        ChargeRequest(
            order_id=order_id,
            amount_cents=1999,
            currency="usd",
            payment_method_id=payment_method_id,
            idempotency_key=f"bookshop-order-{order_id}",
        )
    )
    assert result.payment_intent_id is not None
    return result.payment_intent_id


def refund_request(intent: str, amount_cents: int = 1999, key: str = "refund-1") -> RefundRequest:
    return RefundRequest(
        payment_intent_id=intent, amount_cents=amount_cents, currency="usd", idempotency_key=key, order_id=7
    )


# --- status --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment_method", "state", "amount"),
    [
        ("pm_card_visa", IntentState.SUCCEEDED, 1999),
        (None, IntentState.OPEN, 1999),
        ("pm_card_authenticationRequired", IntentState.OPEN, 1999),
    ],
)
async def test_status_reads_the_intent(
    provider: StripePaymentProvider, payment_method: str | None, state: IntentState, amount: int
) -> None:
    intent = await _intent(provider, payment_method)

    assert await provider.status(intent) == PaymentIntentStatus(state, amount, "usd")


async def test_an_intent_the_customer_completed_reads_as_succeeded_with_what_it_received(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, None)
    fake.succeed(intent)

    assert await provider.status(intent) == PaymentIntentStatus(IntentState.SUCCEEDED, 1999, "usd")
    [*_, sent] = fake.requests
    assert (sent.method, sent.path) == ("GET", f"/v1/payment_intents/{intent}")


async def test_an_intent_stripe_does_not_know_is_missing(provider: StripePaymentProvider) -> None:
    assert (await provider.status("pi_nobody")).state is IntentState.MISSING


@pytest.mark.parametrize("behaviour", [Behaviour.SERVER_ERROR, Behaviour.RATE_LIMITED, Behaviour.GARBLED])
async def test_status_is_unknown_when_stripe_cannot_say(
    provider: StripePaymentProvider, fake: FakeStripe, behaviour: Behaviour
) -> None:
    intent = await _intent(provider, None)
    fake.force = behaviour

    assert (await provider.status(intent)).state is IntentState.UNKNOWN


async def test_status_is_unknown_when_stripe_is_unreachable(closed_port: int) -> None:
    adapter = StripePaymentProvider(
        "sk_test_any", api_base=f"http://127.0.0.1:{closed_port}", timeout_seconds=CLIENT_TIMEOUT
    )

    assert (await adapter.status("pi_1")).state is IntentState.UNKNOWN
    await adapter.aclose()


async def test_status_gives_up_within_the_time_limit(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, None)
    fake.force = Behaviour.TRICKLE

    started = time.monotonic()
    assert (await provider.status(intent)).state is IntentState.UNKNOWN
    assert time.monotonic() - started < CLIENT_TIMEOUT + 1


# --- cancel --------------------------------------------------------------------------------------


async def test_an_open_intent_is_cancelled(provider: StripePaymentProvider, fake: FakeStripe) -> None:
    intent = await _intent(provider, "pm_card_authenticationRequired")

    assert (await provider.cancel(intent)).state is IntentState.CANCELED

    assert fake.intents[intent]["status"] == "canceled"
    [*_, sent] = fake.requests
    assert (sent.method, sent.path) == ("POST", f"/v1/payment_intents/{intent}/cancel")


async def test_cancelling_twice_is_harmless(provider: StripePaymentProvider) -> None:
    intent = await _intent(provider, None)
    await provider.cancel(intent)

    assert (await provider.cancel(intent)).state is IntentState.CANCELED


async def test_an_intent_paid_meanwhile_is_not_cancelled_and_says_so(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, None)
    fake.succeed(intent)

    assert await provider.cancel(intent) == PaymentIntentStatus(IntentState.SUCCEEDED, 1999, "usd")
    assert fake.intents[intent]["status"] == "succeeded"


async def test_cancelling_an_unknown_intent_says_it_is_missing(provider: StripePaymentProvider) -> None:
    assert (await provider.cancel("pi_nobody")).state is IntentState.MISSING


@pytest.mark.parametrize("behaviour", [Behaviour.SERVER_ERROR, Behaviour.HANG])
async def test_a_cancel_without_a_clear_answer_is_unknown(
    provider: StripePaymentProvider, fake: FakeStripe, behaviour: Behaviour
) -> None:
    intent = await _intent(provider, None)
    fake.force = behaviour

    assert (await provider.cancel(intent)).state is IntentState.UNKNOWN


# --- refunds -------------------------------------------------------------------------------------


async def test_a_refund_is_sent_with_its_amount_intent_order_and_idempotency_key(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, "pm_card_visa")

    result = await provider.refund(refund_request(intent, 1500, key="bookshop-refund-1"))

    assert result.outcome is RefundOutcome.SUCCEEDED
    [refund] = fake.refunds
    assert (result.refund_id, refund["amount"], refund["payment_intent"]) == (refund["id"], 1500, intent)
    [*_, sent] = fake.requests
    assert (sent.method, sent.path, sent.idempotency_key) == ("POST", "/v1/refunds", "bookshop-refund-1")
    assert (sent.params["amount"], sent.params["metadata[order_id]"]) == ("1500", "7")


async def test_a_refund_staff_asked_for_names_the_shops_refund_in_its_metadata(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, "pm_card_visa")
    request = RefundRequest(
        payment_intent_id=intent,
        amount_cents=500,
        currency="usd",
        idempotency_key="bookshop-refund-3",
        order_id=7,
        refund_id=3,
    )

    assert (await provider.refund(request)).outcome is RefundOutcome.SUCCEEDED

    [*_, sent] = fake.requests
    assert (sent.params["metadata[order_id]"], sent.params["metadata[refund_id]"]) == ("7", "3")


async def test_the_same_refund_sent_twice_refunds_once(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, "pm_card_visa")

    first = await provider.refund(refund_request(intent))
    again = await provider.refund(refund_request(intent))

    assert again == first
    assert len(fake.refunds) == 1


async def test_a_payment_refunded_in_full_has_nothing_left(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, "pm_card_visa")
    await provider.refund(refund_request(intent, key="first"))

    result = await provider.refund(refund_request(intent, key="second"))

    assert result.outcome is RefundOutcome.ALREADY_REFUNDED
    assert len(fake.refunds) == 1


@pytest.mark.parametrize(("payment_method", "amount"), [("pm_card_visa", 2000), (None, 1999)])
async def test_a_refund_stripe_refuses_is_refused(
    provider: StripePaymentProvider, fake: FakeStripe, payment_method: str | None, amount: int
) -> None:
    intent = await _intent(provider, payment_method)  # more than was paid; a payment never made

    result = await provider.refund(refund_request(intent, amount))

    assert result.outcome is RefundOutcome.REFUSED
    assert result.message
    assert fake.refunds == []


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [
        (Behaviour.SERVER_ERROR, RefundOutcome.UNKNOWN),
        (Behaviour.HANG, RefundOutcome.UNKNOWN),
        (Behaviour.TRICKLE, RefundOutcome.UNKNOWN),
        (Behaviour.GARBLED, RefundOutcome.UNKNOWN),
        (Behaviour.RATE_LIMITED, RefundOutcome.UNAVAILABLE),
    ],
)
async def test_what_a_failed_refund_call_means(
    provider: StripePaymentProvider, fake: FakeStripe, behaviour: Behaviour, outcome: RefundOutcome
) -> None:
    intent = await _intent(provider, "pm_card_visa")
    fake.force = behaviour

    assert (await provider.refund(refund_request(intent))).outcome is outcome


async def test_a_refund_when_stripe_is_unreachable_is_unavailable(closed_port: int) -> None:
    adapter = StripePaymentProvider(
        "sk_test_any", api_base=f"http://127.0.0.1:{closed_port}", timeout_seconds=CLIENT_TIMEOUT
    )

    assert (await adapter.refund(refund_request("pi_1"))).outcome is RefundOutcome.UNAVAILABLE
    await adapter.aclose()


async def test_a_refund_retried_after_a_lost_answer_is_made_once(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await _intent(provider, "pm_card_visa")
    fake.force = Behaviour.TRICKLE
    assert (await provider.refund(refund_request(intent))).outcome is RefundOutcome.UNKNOWN
    fake.force = None

    again = await provider.refund(refund_request(intent))

    assert again.outcome is RefundOutcome.SUCCEEDED  # the stored answer, replayed
    assert len(fake.refunds) == 1
