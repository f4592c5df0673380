"""The built-in test payment provider: Stripe's test-mode semantics, in memory."""

from __future__ import annotations

import asyncio
import re

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    IntentState,
    PaymentIntentStatus,
    RefundOutcome,
    RefundRequest,
)


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


@pytest.mark.parametrize("payment_method", ["tok_visa", "card_123", "visa", "PM_card_visa", "pm", "x"])
async def test_a_payment_method_that_is_not_a_pm_id_is_declined_like_stripe_refuses_it(
    payment_method: str,
) -> None:
    result = await BuiltInTestPaymentProvider().charge(charge_request(payment_method))

    assert result.outcome is ChargeOutcome.DECLINED
    assert result.message == f"No such PaymentMethod: '{payment_method}'"


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


# --- intents: status, cancel, confirm ------------------------------------------------------------


async def _intent(
    provider: BuiltInTestPaymentProvider, payment_method: str | None, key: str = "order-1"
) -> str:
    result = await provider.charge(charge_request(payment_method, idempotency_key=key))
    assert result.payment_intent_id is not None
    return result.payment_intent_id


@pytest.mark.parametrize(
    ("payment_method", "state"),
    [
        ("pm_card_visa", IntentState.SUCCEEDED),
        (None, IntentState.OPEN),
        ("pm_card_authenticationRequired", IntentState.OPEN),
        ("pm_card_visa_chargeDeclined", IntentState.OPEN),  # Stripe: back to requires_payment_method
    ],
)
async def test_an_intent_tells_its_state_amount_and_currency(
    payment_method: str | None, state: IntentState
) -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, payment_method)

    assert await provider.status(intent) == PaymentIntentStatus(state, 1999, "usd")


async def test_an_unknown_intent_is_missing() -> None:
    provider = BuiltInTestPaymentProvider()

    assert (await provider.status("pi_test_nobody")).state is IntentState.MISSING
    assert (await provider.cancel("pi_test_nobody")).state is IntentState.MISSING


async def test_an_open_intent_is_cancelled_and_can_no_longer_succeed() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, None)

    assert (await provider.cancel(intent)).state is IntentState.CANCELED
    provider.confirm(intent)

    assert (await provider.status(intent)).state is IntentState.CANCELED
    assert (await provider.cancel(intent)).state is IntentState.CANCELED  # twice is harmless


async def test_a_confirmed_intent_succeeds_and_cannot_be_cancelled() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, "pm_card_authenticationRequired")

    provider.confirm(intent)

    assert (await provider.status(intent)).state is IntentState.SUCCEEDED
    assert (await provider.cancel(intent)).state is IntentState.SUCCEEDED


# --- refunds -------------------------------------------------------------------------------------


def refund_request(intent: str, amount_cents: int = 1999, key: str = "refund-1") -> RefundRequest:
    return RefundRequest(
        payment_intent_id=intent, amount_cents=amount_cents, currency="usd", idempotency_key=key
    )


async def test_a_refund_gives_the_amount_back_once_per_key() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, "pm_card_visa")

    first = await provider.refund(refund_request(intent))
    again = await provider.refund(refund_request(intent))

    assert first.outcome is RefundOutcome.SUCCEEDED
    assert first.refund_id is not None
    assert again == first
    [refund] = provider.refunds
    assert (refund.payment_intent_id, refund.amount_cents, refund.idempotency_key) == (
        intent,
        1999,
        "refund-1",
    )


async def test_never_more_than_the_payment_is_refunded() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, "pm_card_visa")

    part = await provider.refund(refund_request(intent, 1500, key="a"))
    too_much = await provider.refund(refund_request(intent, 500, key="b"))
    rest = await provider.refund(refund_request(intent, 499, key="c"))
    nothing_left = await provider.refund(refund_request(intent, 1, key="d"))

    assert [r.outcome for r in (part, too_much, rest, nothing_left)] == [
        RefundOutcome.SUCCEEDED,
        RefundOutcome.REFUSED,
        RefundOutcome.SUCCEEDED,
        RefundOutcome.ALREADY_REFUNDED,
    ]
    assert sum(r.amount_cents for r in provider.refunds) == 1999


async def test_an_unknown_intent_cannot_be_refunded() -> None:
    result = await BuiltInTestPaymentProvider().refund(refund_request("pi_test_nobody"))

    assert result.outcome is RefundOutcome.REFUSED


async def test_concurrent_refunds_with_one_key_refund_once() -> None:
    provider = BuiltInTestPaymentProvider()
    intent = await _intent(provider, "pm_card_visa")

    results = await asyncio.gather(*(provider.refund(refund_request(intent)) for _ in range(10)))

    assert len({r.refund_id for r in results}) == 1
    assert len(provider.refunds) == 1
