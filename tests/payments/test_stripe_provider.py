"""The Stripe adapter with the real SDK, over real HTTP, against our fake PaymentIntents API."""

from __future__ import annotations

import time
import uuid

import pytest

from adapters.payments.stripe_provider import StripePaymentProvider
from application.ports import ChargeOutcome, ChargeRequest
from tests.payments.conftest import CLIENT_TIMEOUT
from tests.payments.fake_stripe import HANG_METHOD, SERVER_ERROR_METHOD, Behaviour, FakeStripe

# stripe 16.1's HTTPXClient passes the encoded form as `data=<str>`, which httpx 0.28 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")


def charge_request(
    payment_method_id: str | None = "pm_card_visa",
    *,
    order_id: int = 42,
    amount_cents: int = 1999,
    currency: str = "usd",
    idempotency_key: str | None = None,
) -> ChargeRequest:
    return ChargeRequest(
        order_id=order_id,
        amount_cents=amount_cents,
        currency=currency,
        payment_method_id=payment_method_id,
        idempotency_key=idempotency_key or f"order-{order_id}-{uuid.uuid4()}",
    )


# --- answers ------------------------------------------------------------------------------------


async def test_a_succeeded_intent_is_a_success(provider: StripePaymentProvider, fake: FakeStripe) -> None:
    result = await provider.charge(charge_request("pm_card_visa"))

    assert result.outcome is ChargeOutcome.SUCCEEDED
    assert result.payment_intent_id in fake.intents


async def test_the_request_carries_amount_currency_order_and_idempotency_key(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    request = charge_request("pm_card_visa", order_id=7, amount_cents=2500, currency="USD")

    await provider.charge(request)

    [sent] = fake.requests
    assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
    assert sent.params["amount"] == "2500"
    assert sent.params["currency"] == "usd"
    assert sent.params["metadata[order_id]"] == "7"
    assert sent.idempotency_key == request.idempotency_key
    assert sent.authorization == f"Bearer {fake.api_key}"


async def test_a_payment_method_is_confirmed_at_once_without_redirects(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    await provider.charge(charge_request("pm_card_visa"))

    [sent] = fake.requests
    assert sent.params["payment_method"] == "pm_card_visa"
    assert sent.params["confirm"] == "true"
    assert sent.params["automatic_payment_methods[enabled]"] == "true"
    assert sent.params["automatic_payment_methods[allow_redirects]"] == "never"


@pytest.mark.parametrize(
    "payment_method", ["pm_card_visa_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"]
)
async def test_a_card_error_is_a_decline_with_stripes_message(
    provider: StripePaymentProvider, fake: FakeStripe, payment_method: str
) -> None:
    result = await provider.charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.DECLINED
    assert result.message == "Your card was declined."
    assert result.payment_intent_id in fake.intents


@pytest.mark.parametrize("payment_method", ["tok_visa", "card_123"])
async def test_a_payment_method_stripe_does_not_know_is_a_decline(
    provider: StripePaymentProvider, fake: FakeStripe, payment_method: str
) -> None:
    result = await provider.charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.DECLINED
    assert result.message == f"No such PaymentMethod: '{payment_method}'"
    assert fake.intents == {}


async def test_authentication_required_needs_customer_action_with_a_client_secret(
    provider: StripePaymentProvider,
) -> None:
    result = await provider.charge(charge_request("pm_card_authenticationRequired"))

    assert result.outcome is ChargeOutcome.REQUIRES_ACTION
    assert result.client_secret is not None
    assert result.client_secret.startswith(f"{result.payment_intent_id}_secret_")


async def test_without_a_payment_method_the_client_confirms_with_the_client_secret(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    result = await provider.charge(charge_request(None))

    assert result.outcome is ChargeOutcome.REQUIRES_ACTION
    assert result.client_secret == fake.intents[str(result.payment_intent_id)]["client_secret"]


async def test_without_a_payment_method_nothing_is_confirmed(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    await provider.charge(charge_request(None))

    [sent] = fake.requests
    assert "confirm" not in sent.params
    assert "payment_method" not in sent.params


# --- provider failures --------------------------------------------------------------------------


async def test_a_server_error_is_unknown(provider: StripePaymentProvider, fake: FakeStripe) -> None:
    # Stripe: "500 errors ... the result of the request is indeterminate" — it may have charged.
    result = await provider.charge(charge_request(SERVER_ERROR_METHOD))

    assert result.outcome is ChargeOutcome.UNKNOWN
    assert len(fake.requests) == 1  # no SDK retry


async def test_a_rate_limit_is_unavailable(provider: StripePaymentProvider, fake: FakeStripe) -> None:
    fake.force = Behaviour.RATE_LIMITED

    result = await provider.charge(charge_request())

    assert result.outcome is ChargeOutcome.UNAVAILABLE


async def test_a_refused_api_key_is_unavailable(fake: FakeStripe) -> None:
    adapter = StripePaymentProvider("sk_test_wrong", api_base=fake.url, timeout_seconds=CLIENT_TIMEOUT)

    result = await adapter.charge(charge_request())
    await adapter.aclose()

    assert result.outcome is ChargeOutcome.UNAVAILABLE
    assert fake.intents == {}


async def test_a_timeout_after_sending_is_unknown(provider: StripePaymentProvider, fake: FakeStripe) -> None:
    result = await provider.charge(charge_request(HANG_METHOD))

    assert result.outcome is ChargeOutcome.UNKNOWN
    assert len(fake.requests) == 1  # the request did reach the provider


async def test_a_refused_connection_is_unavailable(closed_port: int) -> None:
    adapter = StripePaymentProvider(
        "sk_test_any", api_base=f"http://127.0.0.1:{closed_port}", timeout_seconds=CLIENT_TIMEOUT
    )

    result = await adapter.charge(charge_request())
    await adapter.aclose()

    assert result.outcome is ChargeOutcome.UNAVAILABLE


async def test_an_unknown_host_is_unavailable() -> None:
    adapter = StripePaymentProvider(
        "sk_test_any", api_base="http://stripe-api.invalid", timeout_seconds=CLIENT_TIMEOUT
    )

    result = await adapter.charge(charge_request())
    await adapter.aclose()

    assert result.outcome is ChargeOutcome.UNAVAILABLE


async def test_an_answer_trickling_in_is_abandoned_within_the_time_limit_as_unknown(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    fake.force = Behaviour.TRICKLE  # a byte every 0.2 s: httpx's read timeout (1 s) never fires

    started = time.monotonic()
    result = await provider.charge(charge_request())

    assert result.outcome is ChargeOutcome.UNKNOWN
    assert time.monotonic() - started < CLIENT_TIMEOUT + 1


async def test_an_unreadable_success_answer_is_unknown(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    fake.force = Behaviour.GARBLED

    result = await provider.charge(charge_request())

    assert result.outcome is ChargeOutcome.UNKNOWN


# --- idempotency --------------------------------------------------------------------------------


async def test_the_same_idempotency_key_twice_makes_one_intent(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    request = charge_request("pm_card_visa")

    first = await provider.charge(request)
    second = await provider.charge(request)

    assert second == first
    assert list(fake.intents) == [first.payment_intent_id]
    assert [sent.idempotency_key for sent in fake.requests] == [request.idempotency_key] * 2


async def test_a_replayed_decline_stays_a_decline_of_the_same_intent(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    request = charge_request("pm_card_visa_chargeDeclined")

    first = await provider.charge(request)
    second = await provider.charge(request)

    assert second == first
    assert len(fake.intents) == 1


async def test_different_keys_make_different_intents(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    await provider.charge(charge_request("pm_card_visa", idempotency_key="order-1"))
    await provider.charge(charge_request("pm_card_visa", idempotency_key="order-2"))

    assert len(fake.intents) == 2


async def test_a_key_reused_with_other_parameters_is_unknown(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    await provider.charge(charge_request("pm_card_visa", amount_cents=1000, idempotency_key="order-3"))

    result = await provider.charge(
        charge_request("pm_card_visa", amount_cents=2000, idempotency_key="order-3")
    )

    assert result.outcome is ChargeOutcome.UNKNOWN  # the first request may have charged
    assert len(fake.intents) == 1


async def test_a_retry_while_the_timed_out_request_still_runs_is_unknown_and_charges_nothing_more(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    request = charge_request(HANG_METHOD)
    await provider.charge(request)  # times out; the fake is still working on it

    retry = await provider.charge(request)

    assert retry.outcome is ChargeOutcome.UNKNOWN  # Stripe's 409: the first one may still charge
    assert len(fake.requests) == 2
    assert fake.intents == {}
