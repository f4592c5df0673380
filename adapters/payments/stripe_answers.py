"""Reading Stripe's answers (and its failures) as the PaymentProvider port's results.

What a failure means for the money is the one question that matters: could Stripe have acted on
the request (charged, refunded) although we got no usable answer?

- No answer (`stripe.APIConnectionError`): the SDK's httpx client wraps the httpx exception with
  `raise APIConnectionError(...) from error`, so `__cause__` says what happened. `httpx.ConnectError`
  (refused, DNS failure, TLS handshake), `httpx.ConnectTimeout`, `httpx.PoolTimeout` and
  `httpx.UnsupportedProtocol` all happen before a byte of the request left: nothing happened.
  Anything else (`httpx.ReadTimeout` — Stripe got the request but did not answer in time —,
  `WriteTimeout`, `ReadError`, `RemoteProtocolError`: the connection dropped after sending…), and
  our own overall time limit running out, may have happened.
- An error answer: 5xx means "the result is indeterminate" in Stripe's words (it may have acted);
  so does an idempotency conflict (409, or `idempotency_error`: another request with the same key
  ran or is running) and an answer the SDK could not read (status < 400). Other 4xx (400, 401, 403,
  404, 429) are refusals: Stripe did nothing.
- Anything unexpected may have happened: it is the reading that never takes money for lost.
"""

from __future__ import annotations

from typing import Any

import httpx
import stripe

from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    IntentState,
    PaymentIntentStatus,
    RefundOutcome,
    RefundResult,
)

DECLINED_MESSAGE = "Your card was declined."

# Errors raised before any byte of the request can have reached Stripe.
_NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)
_CUSTOMER_MUST_ACT = frozenset({"requires_action", "requires_confirmation", "processing"})
_OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
_IN_FLIGHT = frozenset({"processing", "requires_capture"})
_REFUND_STATES = {
    "succeeded": RefundOutcome.SUCCEEDED,
    "pending": RefundOutcome.PENDING,
    "requires_action": RefundOutcome.PENDING,
    "failed": RefundOutcome.REFUSED,
    "canceled": RefundOutcome.REFUSED,
}


def may_have_happened(error: BaseException) -> bool:
    """False only when Stripe surely did nothing with the request (see the module's docstring)."""
    if isinstance(error, stripe.APIConnectionError):
        return not isinstance(error.__cause__, _NOTHING_SENT)
    if isinstance(error, stripe.IdempotencyError):
        return True
    if isinstance(error, stripe.StripeError):
        status = error.http_status
        return status is None or status < 400 or status == 409 or status >= 500
    return True


def describe(error: BaseException) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return f"no answer ({error.__cause__!r})"
    if isinstance(error, stripe.StripeError):
        return f"HTTP {error.http_status} {type(error).__name__}: {error.user_message}"
    if isinstance(error, TimeoutError):
        return "no answer within the time limit"
    return repr(error)


def error_code(error: stripe.StripeError) -> str | None:
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else None


def error_object(error: stripe.StripeError, name: str) -> dict[str, Any] | None:
    """The object an error answer carries (Stripe puts the payment intent in its card errors and
    in its `payment_intent_unexpected_state` errors)."""
    body = error.json_body
    details = body.get("error") if isinstance(body, dict) else None
    found = details.get(name) if isinstance(details, dict) else None
    return found if isinstance(found, dict) else None


def charge_result(answer: dict[str, Any], request: ChargeRequest) -> ChargeResult:
    """A created payment intent as the outcome of the charge."""
    intent_id = answer.get("id")
    status = answer.get("status")
    client_secret = answer.get("client_secret")
    if not isinstance(intent_id, str) or not intent_id:
        return ChargeResult(ChargeOutcome.UNKNOWN, message="Stripe's answer could not be read")
    secret = client_secret if isinstance(client_secret, str) and client_secret else None
    if status == "succeeded":
        return ChargeResult(ChargeOutcome.SUCCEEDED, payment_intent_id=intent_id, client_secret=secret)
    if status in _CUSTOMER_MUST_ACT or (
        status == "requires_payment_method" and request.payment_method_id is None
    ):
        if secret is None:
            return ChargeResult(
                ChargeOutcome.UNKNOWN,
                payment_intent_id=intent_id,
                message="Stripe's answer carried no client secret",
            )
        return ChargeResult(ChargeOutcome.REQUIRES_ACTION, payment_intent_id=intent_id, client_secret=secret)
    if status in {"requires_payment_method", "canceled"}:
        # Confirmed with a payment method and back to requires_payment_method: the method was
        # refused without a 402 (Stripe normally answers 402). Canceled: it will never be charged.
        return ChargeResult(
            ChargeOutcome.DECLINED,
            payment_intent_id=intent_id,
            client_secret=secret,
            message=_last_error_message(answer) or DECLINED_MESSAGE,
        )
    # requires_capture (we never ask for manual capture) or a status this code does not know:
    # money may be held, so nothing is failed here; the webhook or the expiry settles the order.
    return ChargeResult(
        ChargeOutcome.UNKNOWN,
        payment_intent_id=intent_id,
        client_secret=secret,
        message=f"unexpected payment intent status {status!r}",
    )


def declined(error: stripe.StripeErrorWithParamCode) -> ChargeResult:
    intent = error_object(error, "payment_intent")
    intent_id = intent.get("id") if intent is not None else None
    return ChargeResult(
        ChargeOutcome.DECLINED,
        payment_intent_id=intent_id if isinstance(intent_id, str) else None,
        message=error.user_message or DECLINED_MESSAGE,
    )


def is_unknown_payment_method(error: stripe.InvalidRequestError) -> bool:
    """Stripe's 400 for a payment method id it does not know: the customer's card is refused."""
    return error_code(error) == "resource_missing" and error.param == "payment_method"


def intent_status(answer: dict[str, Any]) -> PaymentIntentStatus:
    status = answer.get("status")
    if status == "succeeded":
        state = IntentState.SUCCEEDED
    elif status in _OPEN:
        state = IntentState.OPEN
    elif status in _IN_FLIGHT:
        state = IntentState.PROCESSING
    elif status == "canceled":
        state = IntentState.CANCELED
    else:
        state = IntentState.UNKNOWN
    received = answer.get("amount_received")
    amount = received if state is IntentState.SUCCEEDED and _is_cents(received) else answer.get("amount")
    currency = answer.get("currency")
    return PaymentIntentStatus(
        state,
        amount_cents=amount if _is_cents(amount) else None,
        currency=currency.lower() if isinstance(currency, str) else None,
    )


def refund_result(answer: dict[str, Any]) -> RefundResult:
    refund_id = answer.get("id")
    outcome = _REFUND_STATES.get(str(answer.get("status")), RefundOutcome.UNKNOWN)
    return RefundResult(outcome, refund_id=refund_id if isinstance(refund_id, str) else None)


def refused_refund(error: stripe.StripeError) -> RefundResult:
    """A refund Stripe surely did not make: refused outright (a 4xx that is no conflict), or never
    sent (no connection)."""
    if error_code(error) == "charge_already_refunded":
        return RefundResult(RefundOutcome.ALREADY_REFUNDED, message=error.user_message)
    if isinstance(error, stripe.InvalidRequestError):
        return RefundResult(RefundOutcome.REFUSED, message=error.user_message)
    return RefundResult(RefundOutcome.UNAVAILABLE, message=describe(error))


def _is_cents(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _last_error_message(answer: dict[str, Any]) -> str | None:
    last_error = answer.get("last_payment_error")
    if isinstance(last_error, dict):
        message = last_error.get("message")
        if isinstance(message, str) and message:
            return message
    return None
