"""The built-in payment provider, used when no STRIPE_SECRET_KEY is set.

It behaves like Stripe's test mode for the test payment methods the API contract names, so the
whole checkout (including the webhook that settles a PENDING order) can be exercised offline:

- `pm_card_visa`, and any other id → SUCCEEDED;
- `pm_card_visa_chargeDeclined`, and every id starting `pm_card_chargeDeclined` → DECLINED;
- `pm_card_authenticationRequired`, and no payment method at all → REQUIRES_ACTION.

Every result carries a payment intent id `pi_test_<random>` and a client secret in Stripe's format
`<payment_intent_id>_secret_<random>`. Charges live in process memory: the same idempotency key
again returns the first result (same intent), never a second charge.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from application.ports import ChargeOutcome, ChargeRequest, ChargeResult

AUTHENTICATION_REQUIRED = "pm_card_authenticationRequired"
VISA_DECLINED = "pm_card_visa_chargeDeclined"
DECLINED_PREFIX = "pm_card_chargeDeclined"

GENERIC_DECLINE_MESSAGE = "Your card was declined."
# Stripe's own messages for the decline reasons its `pm_card_chargeDeclined*` methods simulate.
_DECLINE_MESSAGES = {
    "pm_card_chargeDeclinedInsufficientFunds": "Your card has insufficient funds.",
    "pm_card_chargeDeclinedExpiredCard": "Your card has expired.",
    "pm_card_chargeDeclinedIncorrectCvc": "Your card's security code is incorrect.",
    "pm_card_chargeDeclinedProcessingError": (
        "An error occurred while processing your card. Try again in a little bit."
    ),
}

_ALPHABET = string.ascii_letters + string.digits


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class RecordedCharge:
    """What the built-in provider remembers of one charge."""

    id: str
    order_id: int
    amount_cents: int
    currency: str
    payment_method_id: str | None
    result: ChargeResult


class BuiltInTestPaymentProvider:
    """Stripe's test mode, in memory. Named so that pytest does not mistake it for a test class."""

    def __init__(self) -> None:
        self._by_idempotency_key: dict[str, RecordedCharge] = {}
        self._by_id: dict[str, RecordedCharge] = {}

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        # No await between the look-up and the store: concurrent charges with one key on one event
        # loop cannot both miss, so a key is charged once.
        known = self._by_idempotency_key.get(request.idempotency_key)
        if known is not None:
            return known.result
        intent_id = f"pi_test_{_random(24)}"
        result = ChargeResult(
            outcome=_outcome(request.payment_method_id),
            payment_intent_id=intent_id,
            client_secret=f"{intent_id}_secret_{_random(25)}",
            message=_message(request.payment_method_id),
        )
        intent = RecordedCharge(
            id=intent_id,
            order_id=request.order_id,
            amount_cents=request.amount_cents,
            currency=request.currency,
            payment_method_id=request.payment_method_id,
            result=result,
        )
        self._by_idempotency_key[request.idempotency_key] = intent
        self._by_id[intent_id] = intent
        return result

    def find(self, payment_intent_id: str) -> RecordedCharge | None:
        """The charge behind a payment intent id (for tests and development tools)."""
        return self._by_id.get(payment_intent_id)

    @property
    def charge_count(self) -> int:
        """How many distinct charges were made (replays of an idempotency key do not count)."""
        return len(self._by_id)


def _is_declined(payment_method_id: str) -> bool:
    return payment_method_id == VISA_DECLINED or payment_method_id.startswith(DECLINED_PREFIX)


def _outcome(payment_method_id: str | None) -> ChargeOutcome:
    if payment_method_id is None or payment_method_id == AUTHENTICATION_REQUIRED:
        return ChargeOutcome.REQUIRES_ACTION
    if _is_declined(payment_method_id):
        return ChargeOutcome.DECLINED
    return ChargeOutcome.SUCCEEDED


def _message(payment_method_id: str | None) -> str | None:
    if payment_method_id is None or not _is_declined(payment_method_id):
        return None
    return _DECLINE_MESSAGES.get(payment_method_id, GENERIC_DECLINE_MESSAGE)
