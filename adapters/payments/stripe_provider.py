"""Stripe PaymentIntents and Refunds through the official SDK (`stripe`), asynchronously over httpx.

One charge is one `POST /v1/payment_intents` carrying the amount, the currency, metadata
`order_id` and the request's idempotency key as Stripe's `Idempotency-Key`, so sending it again
(a retried checkout) replays Stripe's first answer instead of charging twice. A refund is one
`POST /v1/refunds` with its own idempotency key the same way. `status` reads
`GET /v1/payment_intents/{id}`; `cancel` is `POST /v1/payment_intents/{id}/cancel`; `pay_again` is
`POST /v1/payment_intents/{id}/confirm` with the new payment method and the attempt's own
idempotency key (the intent is confirmed again, never a second one created).

The adapter never raises for a provider failure; how failures are told apart (nothing happened
at Stripe, or it may have) is in `stripe_answers`. In short: a card error (402), or an unknown
payment method, is DECLINED; 4xx refusals are UNAVAILABLE (nothing charged); no connection at all
is UNAVAILABLE; a timeout after sending, a 5xx or an idempotency conflict is UNKNOWN — the order
stays PENDING and the shop learns the truth from Stripe (webhook, or the expiry asking `status`).

Every call is bounded by `timeout_seconds` as a whole (httpx's own timeouts bound each phase —
connect, each read — not a server trickling its answer byte by byte): past it, the call is
abandoned and reads as "may have happened".

SDK retries are off (`max_network_retries=0`): with retries the SDK raises the *last* attempt's error,
so a first attempt that timed out after sending (may have charged) followed by a refused connection
would read as "nothing charged". Retrying a 5xx with the same key is pointless anyway (Stripe replays
the stored answer, 500s included, for 24 hours). A caller that wants to retry sends the same request
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import httpx
import stripe

from adapters.payments.stripe_answers import (
    charge_result,
    declined,
    describe,
    error_code,
    error_object,
    intent_status,
    is_unknown_payment_method,
    may_have_happened,
    refund_result,
    refused_refund,
)
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

if TYPE_CHECKING:
    from stripe import StripeObject
    from stripe.params import PaymentIntentConfirmParams, PaymentIntentCreateParams, RefundCreateParams

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 15.0


class StripePaymentProvider:
    """The PaymentProvider port on Stripe. Call `aclose()` at shutdown to release its connections."""

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not secret_key.strip():
            raise ValueError("a Stripe secret key is required")
        if timeout_seconds <= 0:
            raise ValueError("the timeout must be positive")
        self._timeout = timeout_seconds
        self._http = stripe.HTTPXClient(timeout=httpx.Timeout(timeout_seconds))
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=self._http,
            max_network_retries=0,
        )

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe 16.1

    async def _ask(self, call: Awaitable[StripeObject]) -> dict[str, Any]:
        async with asyncio.timeout(self._timeout):
            answer = await call
        return answer.to_dict()

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        params: PaymentIntentCreateParams = {
            "amount": request.amount_cents,
            "currency": request.currency.lower(),
            "metadata": {"order_id": str(request.order_id)},
        }
        if request.payment_method_id is not None:
            params["payment_method"] = request.payment_method_id
            params["confirm"] = True
            # Only payment methods that never redirect, so confirming needs no return_url.
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        else:
            params["automatic_payment_methods"] = {"enabled": True}
        try:
            answer = await self._ask(
                self._client.v1.payment_intents.create_async(
                    params, options={"idempotency_key": request.idempotency_key}
                )
            )
        except stripe.CardError as error:
            return declined(error)
        except Exception as error:
            return _charge_failure(error, request)
        result = charge_result(answer, request)
        if result.outcome is ChargeOutcome.UNKNOWN:
            logger.error("Stripe's answer for order %s: %s", request.order_id, result.message)
        return result

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        try:
            answer = await self._ask(self._client.v1.payment_intents.retrieve_async(payment_intent_id))
        except Exception as error:
            return _status_failure(error, payment_intent_id)
        return intent_status(answer)

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        try:
            answer = await self._ask(self._client.v1.payment_intents.cancel_async(payment_intent_id))
        except stripe.InvalidRequestError as error:
            if error_code(error) != "payment_intent_unexpected_state":
                return _status_failure(error, payment_intent_id)
            # Too late (it succeeded meanwhile) or already done (canceled): the intent says which.
            intent = error_object(error, "payment_intent")
            return intent_status(intent) if intent is not None else await self.status(payment_intent_id)
        except Exception as error:
            return _status_failure(error, payment_intent_id)
        return intent_status(answer)

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        params: PaymentIntentConfirmParams = {"payment_method": request.payment_method_id}
        as_charge = ChargeRequest(
            order_id=request.order_id,
            amount_cents=0,
            currency="",
            payment_method_id=request.payment_method_id,
            idempotency_key=request.idempotency_key,
        )
        try:
            answer = await self._ask(
                self._client.v1.payment_intents.confirm_async(
                    request.payment_intent_id, params, options={"idempotency_key": request.idempotency_key}
                )
            )
        except stripe.CardError as error:
            return declined(error)
        except stripe.InvalidRequestError as error:
            intent = error_object(error, "payment_intent")
            if error_code(error) == "payment_intent_unexpected_state" and intent is not None:
                # Succeeded meanwhile (paid), or cancelled (it will never take a payment).
                return charge_result(intent, as_charge)
            if error_code(error) == "resource_missing" and error.param != "payment_method":
                return ChargeResult(ChargeOutcome.DECLINED, message="no such payment intent")
            return _charge_failure(error, as_charge)
        except Exception as error:
            return _charge_failure(error, as_charge)
        result = charge_result(answer, as_charge)
        if result.outcome is ChargeOutcome.UNKNOWN:
            logger.error("Stripe's answer for paying order %s again: %s", request.order_id, result.message)
        return result

    async def refund(self, request: RefundRequest) -> RefundResult:
        params: RefundCreateParams = {
            "payment_intent": request.payment_intent_id,
            "amount": request.amount_cents,
        }
        metadata = {
            name: str(value)
            for name, value in (("order_id", request.order_id), ("refund_id", request.refund_id))
            if value is not None
        }
        if metadata:
            params["metadata"] = metadata
        try:
            answer = await self._ask(
                self._client.v1.refunds.create_async(
                    params, options={"idempotency_key": request.idempotency_key}
                )
            )
        except Exception as error:
            return _refund_failure(error, request)
        return refund_result(answer)


def _charge_failure(error: Exception, request: ChargeRequest) -> ChargeResult:
    if isinstance(error, stripe.InvalidRequestError) and is_unknown_payment_method(error):
        return ChargeResult(ChargeOutcome.DECLINED, message=error.user_message or "No such PaymentMethod")
    if may_have_happened(error):
        _log_may_have_happened(error, f"charge of order {request.order_id}")
        return ChargeResult(
            ChargeOutcome.UNKNOWN,
            message="the payment provider gave no clear answer; the charge may have happened",
        )
    logger.warning("Stripe did not take the charge of order %s: %s", request.order_id, describe(error))
    return ChargeResult(ChargeOutcome.UNAVAILABLE, message="the payment provider could not take the charge")


def _status_failure(error: Exception, payment_intent_id: str) -> PaymentIntentStatus:
    if isinstance(error, stripe.InvalidRequestError) and error.http_status == 404:
        return PaymentIntentStatus(IntentState.MISSING)
    logger.warning("could not ask Stripe about payment intent %s: %s", payment_intent_id, describe(error))
    return PaymentIntentStatus(IntentState.UNKNOWN)


def _refund_failure(error: Exception, request: RefundRequest) -> RefundResult:
    if isinstance(error, stripe.StripeError) and not may_have_happened(error):
        result = refused_refund(error)
        logger.warning(
            "Stripe did not refund payment intent %s: %s (%s)",
            request.payment_intent_id,
            result.outcome,
            describe(error),
        )
        return result
    _log_may_have_happened(error, f"refund of payment intent {request.payment_intent_id}")
    return RefundResult(
        RefundOutcome.UNKNOWN, message="the payment provider gave no clear answer; it may have refunded"
    )


def _log_may_have_happened(error: Exception, what: str) -> None:
    if isinstance(error, stripe.StripeError | TimeoutError):
        logger.warning("no clear answer from Stripe for the %s: %s", what, describe(error))
    else:
        logger.exception("unexpected failure during the %s through Stripe", what)
