"""The built-in test payment provider: Stripe's test-mode semantics, in memory."""

from __future__ import annotations

import asyncio
import re

import pytest

from adapters.payments.test_provider import BuiltInTestPaymentProvider
from application.ports import ChargeOutcome, ChargeRequest


def charge_request(
    payment_method_id: str | None = "pm_card_visa", *, idempotency_key: str = "order-1", order_id: int = 1
) -> ChargeRequest:
    return ChargeRequest(
        order_id=order_id,
        amount_cents=1999,
        currency="usd",
        payment_method_id=payment_method_id,
        idempotency_key=idempotency_key,
    )


@pytest.mark.parametrize("payment_method", ["pm_card_visa", "pm_card_mastercard", "pm_anything_else"])
async def test_a_payment_method_succeeds(payment_method: str) -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.SUCCEEDED


@pytest.mark.parametrize(
    "payment_method",
    [
        "pm_card_visa_chargeDeclined",
        "pm_card_chargeDeclined",
        "pm_card_chargeDeclinedInsufficientFunds",
        "pm_card_chargeDeclinedExpiredCard",
    ],
)
async def test_a_declining_payment_method_is_declined_with_a_message(payment_method: str) -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.DECLINED
    assert result.message


async def test_the_generic_decline_carries_stripes_message() -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request("pm_card_visa_chargeDeclined"))

    assert result.message == "Your card was declined."


@pytest.mark.parametrize("payment_method", ["pm_card_authenticationRequired", None])
async def test_customer_action_is_required(payment_method: str | None) -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.REQUIRES_ACTION


@pytest.mark.parametrize(
    "payment_method", ["pm_card_visa", "pm_card_visa_chargeDeclined", "pm_card_authenticationRequired", None]
)
async def test_every_result_has_an_intent_and_a_client_secret_in_stripes_format(
    payment_method: str | None,
) -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request(payment_method))

    assert result.payment_intent_id is not None
    assert re.fullmatch(r"pi_test_[A-Za-z0-9]+", result.payment_intent_id)
    assert result.client_secret is not None
    assert re.fullmatch(rf"{result.payment_intent_id}_secret_[A-Za-z0-9]+", result.client_secret)


async def test_intents_and_secrets_are_not_reused() -> None:
    provider = BuiltInTestPaymentProvider()

    first = await provider.charge(charge_request(idempotency_key="order-1"))
    second = await provider.charge(charge_request(idempotency_key="order-2"))

    assert first.payment_intent_id != second.payment_intent_id
    assert first.client_secret != second.client_secret


async def test_the_same_idempotency_key_returns_the_first_result_and_charges_once() -> None:
    provider = BuiltInTestPaymentProvider()

    first = await provider.charge(charge_request("pm_card_visa", idempotency_key="order-9"))
    again = await provider.charge(charge_request("pm_card_visa", idempotency_key="order-9"))

    assert again == first
    assert provider.charge_count == 1


async def test_concurrent_charges_with_one_key_charge_once() -> None:
    provider = BuiltInTestPaymentProvider()

    results = await asyncio.gather(
        *(provider.charge(charge_request(idempotency_key="order-5")) for _ in range(10))
    )

    assert len({result.payment_intent_id for result in results}) == 1
    assert provider.charge_count == 1


async def test_a_charge_is_remembered_with_its_order() -> None:
    provider = BuiltInTestPaymentProvider()

    result = await provider.charge(charge_request(order_id=31, idempotency_key="order-31"))

    assert result.payment_intent_id is not None
    recorded = provider.find(result.payment_intent_id)
    assert recorded is not None
    assert (recorded.order_id, recorded.amount_cents) == (31, 1999)
