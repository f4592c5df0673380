"""Paying again through Stripe: the order's payment intent confirmed with another payment method
(`POST /v1/payment_intents/{id}/confirm`), never a second intent; and the built-in provider alike."""

from __future__ import annotations

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.payments.stripe_provider import StripePaymentProvider
from application.ports import ChargeOutcome, IntentState, PayAgainRequest, PaymentProvider
from tests.payments.fake_stripe import Behaviour, FakeStripe
from tests.payments.test_stripe_provider import charge_request

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>' to upload raw bytes:DeprecationWarning")


def again(intent_id: str, payment_method_id: str, key: str = "bookshop-order-42-pay-1") -> PayAgainRequest:
    return PayAgainRequest(
        payment_intent_id=intent_id, payment_method_id=payment_method_id, idempotency_key=key, order_id=42
    )


async def open_intent(provider: PaymentProvider) -> str:
    """An intent awaiting the customer, as a checkout without a card leaves it."""
    result = await provider.charge(charge_request(None))
    assert result.payment_intent_id is not None
    return result.payment_intent_id


async def test_the_intent_is_confirmed_with_the_new_method_and_its_key(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await open_intent(provider)

    result = await provider.pay_again(again(intent, "pm_card_visa"))

    assert (result.outcome, result.payment_intent_id) == (ChargeOutcome.SUCCEEDED, intent)
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/v1/payment_intents/{intent}/confirm")
    assert (sent.params["payment_method"], sent.idempotency_key) == (
        "pm_card_visa",
        "bookshop-order-42-pay-1",
    )
    assert list(fake.intents) == [intent]  # no second intent
    assert fake.intents[intent]["status"] == "succeeded"


async def test_a_declined_card_leaves_the_intent_open_for_another_attempt(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await open_intent(provider)

    declined = await provider.pay_again(again(intent, "pm_card_visa_chargeDeclined", "k1"))
    paid = await provider.pay_again(again(intent, "pm_card_visa", "k2"))

    assert (declined.outcome, declined.payment_intent_id) == (ChargeOutcome.DECLINED, intent)
    assert paid.outcome is ChargeOutcome.SUCCEEDED


async def test_3d_secure_needs_the_customer_with_the_intents_client_secret(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await open_intent(provider)

    result = await provider.pay_again(again(intent, "pm_card_authenticationRequired"))

    assert result.outcome is ChargeOutcome.REQUIRES_ACTION
    assert result.client_secret == fake.intents[intent]["client_secret"]


async def test_the_same_key_again_replays_the_first_answer(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    intent = await open_intent(provider)

    first = await provider.pay_again(again(intent, "pm_card_visa"))
    second = await provider.pay_again(again(intent, "pm_card_visa"))

    assert first == second


async def test_an_intent_already_paid_is_a_success_and_a_cancelled_one_a_decline(
    provider: StripePaymentProvider, fake: FakeStripe
) -> None:
    paid, cancelled = await open_intent(provider), await open_intent(provider)
    fake.succeed(paid)
    await provider.cancel(cancelled)

    assert (await provider.pay_again(again(paid, "pm_card_visa", "a"))).outcome is ChargeOutcome.SUCCEEDED
    assert (await provider.pay_again(again(cancelled, "pm_card_visa", "b"))).outcome is ChargeOutcome.DECLINED


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [
        (Behaviour.SERVER_ERROR, ChargeOutcome.UNKNOWN),
        (Behaviour.RATE_LIMITED, ChargeOutcome.UNAVAILABLE),
        (Behaviour.UNKNOWN_PAYMENT_METHOD, ChargeOutcome.DECLINED),
    ],
)
async def test_failures_read_as_for_a_charge(
    provider: StripePaymentProvider, fake: FakeStripe, behaviour: Behaviour, outcome: ChargeOutcome
) -> None:
    intent = await open_intent(provider)
    fake.force = behaviour

    assert (await provider.pay_again(again(intent, "pm_card_visa"))).outcome is outcome


async def test_an_unknown_intent_is_a_decline(provider: StripePaymentProvider) -> None:
    assert (await provider.pay_again(again("pi_nope", "pm_card_visa"))).outcome is ChargeOutcome.DECLINED


async def test_the_built_in_provider_confirms_the_same_intent_the_same_way() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await open_intent(provider)

    declined = await provider.pay_again(again(intent, "pm_card_visa_chargeDeclined", "k1"))
    needs_customer = await provider.pay_again(again(intent, "pm_card_authenticationRequired", "k2"))
    paid = await provider.pay_again(again(intent, "pm_card_visa", "k3"))

    assert [r.outcome for r in (declined, needs_customer, paid)] == [
        ChargeOutcome.DECLINED,
        ChargeOutcome.REQUIRES_ACTION,
        ChargeOutcome.SUCCEEDED,
    ]
    assert {r.payment_intent_id for r in (declined, needs_customer, paid)} == {intent}
    assert provider.charge_count == 1
    assert (await provider.status(intent)).state is IntentState.SUCCEEDED
    assert await provider.pay_again(again(intent, "pm_card_visa_chargeDeclined", "k3")) == paid  # replayed
