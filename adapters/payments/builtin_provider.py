"""The built-in payment provider, used when no STRIPE_SECRET_KEY is set.

It behaves like Stripe's test mode for the test payment methods the API contract names, so the
whole checkout (including the webhook that settles a PENDING order) can be exercised offline:

- `pm_card_visa`, and any other `pm_` id → SUCCEEDED;
- `pm_card_visa_chargeDeclined`, and every id starting `pm_card_chargeDeclined` → DECLINED;
- `pm_card_authenticationRequired`, and no payment method at all → REQUIRES_ACTION;
- an id that does not start with `pm_` → DECLINED ("No such PaymentMethod"), as Stripe refuses a
  payment method it does not know.

Every result carries a payment intent id `pi_test_<random>` and a client secret in Stripe's format
`<payment_intent_id>_secret_<random>`. Charges live in process memory: the same idempotency key
again returns the first result (same intent), never a second charge.

Intents move like Stripe's: a successful charge is SUCCEEDED; one awaiting the customer, or
declined, stays OPEN until `confirm` (what the customer completing the payment does), `pay_again`
with a payment method that succeeds, or `cancel`.
Refunds: the same idempotency key again returns the first result; never more than the intent's
amount in all. Here a customer's payment is announced by a signed webhook event that this
provider never sees, so it refunds any intent it created, whatever its state.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    IntentState,
    PayAgainRequest,
    PaymentIntentStatus,
    RefundOutcome,
    RefundRequest,
    RefundResult,
)

PAYMENT_METHOD_PREFIX = "pm_"
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


@dataclass(slots=True)
class RecordedCharge:
    """What the built-in provider remembers of one charge: its payment intent."""

    id: str
    order_id: int
    amount_cents: int
    currency: str
    payment_method_id: str | None
    result: ChargeResult
    state: IntentState
    refunded_cents: int = 0


@dataclass(frozen=True, slots=True)
class RecordedRefund:
    id: str
    payment_intent_id: str
    amount_cents: int
    idempotency_key: str


class BuiltInTestPaymentProvider:
    """Stripe's test mode, in memory. Named so that pytest does not mistake it for a test class.

    No method awaits anything, so on one event loop each runs as one atomic step: concurrent
    charges (or refunds) with one key cannot both miss it."""

    def __init__(self) -> None:
        self._by_idempotency_key: dict[str, RecordedCharge] = {}
        self._by_id: dict[str, RecordedCharge] = {}
        self._refunds_by_key: dict[str, RefundResult] = {}
        self._pay_again_by_key: dict[str, ChargeResult] = {}
        self.refunds: list[RecordedRefund] = []
        """Every refund made (replays of an idempotency key add none)."""

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        known = self._by_idempotency_key.get(request.idempotency_key)
        if known is not None:
            return known.result
        intent_id = f"pi_test_{_random(24)}"
        outcome = _outcome(request.payment_method_id)
        result = ChargeResult(
            outcome=outcome,
            payment_intent_id=intent_id,
            client_secret=f"{intent_id}_secret_{_random(25)}",
            message=_message(request.payment_method_id),
        )
        intent = RecordedCharge(
            id=intent_id,
            order_id=request.order_id,
            amount_cents=request.amount_cents,
            currency=request.currency.lower(),
            payment_method_id=request.payment_method_id,
            result=result,
            state=IntentState.SUCCEEDED if outcome is ChargeOutcome.SUCCEEDED else IntentState.OPEN,
        )
        self._by_idempotency_key[request.idempotency_key] = intent
        self._by_id[intent_id] = intent
        return result

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        intent = self._by_id.get(payment_intent_id)
        if intent is None:
            return PaymentIntentStatus(IntentState.MISSING)
        return PaymentIntentStatus(intent.state, intent.amount_cents, intent.currency)

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        intent = self._by_id.get(payment_intent_id)
        if intent is not None and intent.state is IntentState.OPEN:
            intent.state = IntentState.CANCELED
        return await self.status(payment_intent_id)

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        """The intent, confirmed with another payment method: the same intent (and client secret)
        whatever the answer; an OPEN one stays OPEN when declined or awaiting the customer."""
        known = self._pay_again_by_key.get(request.idempotency_key)
        if known is not None:
            return known
        intent = self._by_id.get(request.payment_intent_id)
        if intent is None or intent.state is IntentState.CANCELED:
            state = "no such" if intent is None else "a cancelled"
            return ChargeResult(ChargeOutcome.DECLINED, message=f"{state} payment intent")
        outcome = (
            _outcome(request.payment_method_id)
            if intent.state is IntentState.OPEN
            else ChargeOutcome.SUCCEEDED
        )
        if intent.state is IntentState.OPEN:
            intent.payment_method_id = request.payment_method_id
            if outcome is ChargeOutcome.SUCCEEDED:
                intent.state = IntentState.SUCCEEDED
        result = ChargeResult(
            outcome=outcome,
            payment_intent_id=intent.id,
            client_secret=intent.result.client_secret,
            message=_message(request.payment_method_id) if outcome is ChargeOutcome.DECLINED else None,
        )
        self._pay_again_by_key[request.idempotency_key] = result
        return result

    async def refund(self, request: RefundRequest) -> RefundResult:
        known = self._refunds_by_key.get(request.idempotency_key)
        if known is not None:
            return known
        intent = self._by_id.get(request.payment_intent_id)
        if intent is None:
            return RefundResult(
                RefundOutcome.REFUSED, message=f"No such payment_intent: '{request.payment_intent_id}'"
            )
        left = intent.amount_cents - intent.refunded_cents
        if left == 0:
            result = RefundResult(RefundOutcome.ALREADY_REFUNDED, message="The charge was already refunded.")
        elif not 1 <= request.amount_cents <= left:
            return RefundResult(RefundOutcome.REFUSED, message=f"At most {left} can be refunded.")
        else:
            intent.refunded_cents += request.amount_cents
            refund = RecordedRefund(
                id=f"re_test_{_random(24)}",
                payment_intent_id=intent.id,
                amount_cents=request.amount_cents,
                idempotency_key=request.idempotency_key,
            )
            self.refunds.append(refund)
            result = RefundResult(RefundOutcome.SUCCEEDED, refund_id=refund.id)
        self._refunds_by_key[request.idempotency_key] = result
        return result

    def confirm(self, payment_intent_id: str) -> None:
        """What the customer completing the payment (3-D Secure, a card entered in the browser)
        does at Stripe: an OPEN intent SUCCEEDS. For tests and development tools."""
        intent = self._by_id[payment_intent_id]
        if intent.state is IntentState.OPEN:
            intent.state = IntentState.SUCCEEDED

    def find(self, payment_intent_id: str) -> RecordedCharge | None:
        """The charge behind a payment intent id (for tests and development tools)."""
        return self._by_id.get(payment_intent_id)

    def charge_of_order(self, order_id: int) -> RecordedCharge | None:
        """The first charge made for an order (for tests and development tools)."""
        return next((c for c in self._by_id.values() if c.order_id == order_id), None)

    @property
    def charge_count(self) -> int:
        """How many distinct charges were made (replays of an idempotency key do not count)."""
        return len(self._by_id)


def _is_declined(payment_method_id: str) -> bool:
    return (
        not payment_method_id.startswith(PAYMENT_METHOD_PREFIX)
        or payment_method_id == VISA_DECLINED
        or payment_method_id.startswith(DECLINED_PREFIX)
    )


def _outcome(payment_method_id: str | None) -> ChargeOutcome:
    if payment_method_id is None or payment_method_id == AUTHENTICATION_REQUIRED:
        return ChargeOutcome.REQUIRES_ACTION
    if _is_declined(payment_method_id):
        return ChargeOutcome.DECLINED
    return ChargeOutcome.SUCCEEDED


def _message(payment_method_id: str | None) -> str | None:
    if payment_method_id is None or not _is_declined(payment_method_id):
        return None
    if not payment_method_id.startswith(PAYMENT_METHOD_PREFIX):
        return f"No such PaymentMethod: '{payment_method_id}'"
    return _DECLINE_MESSAGES.get(payment_method_id, GENERIC_DECLINE_MESSAGE)
