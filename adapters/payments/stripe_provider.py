"""Stripe PaymentIntents through the official SDK (`stripe`), asynchronously over httpx.

One charge is one `POST /v1/payment_intents` carrying the amount, the currency, metadata
`order_id` and the request's idempotency key as Stripe's `Idempotency-Key`, so sending it again
(a retried checkout) replays Stripe's first answer instead of charging twice.

How failures are told apart (the adapter never raises for a provider failure):

- Stripe answered 402 (`stripe.CardError`) → DECLINED, with Stripe's message.
- Stripe answered another error status (400, 401, 403, 404, 429, 5xx: `stripe.StripeError` with an
  `http_status`) → UNAVAILABLE: the request was refused, nothing was charged. Two exceptions, where a
  charge may exist: an idempotency conflict (409, or `idempotency_error`: another request with the
  same key ran or is running) → UNKNOWN; an answer with a 2xx status the SDK could not read → UNKNOWN.
- No answer (`stripe.APIConnectionError`): the SDK's httpx client wraps the httpx exception with
  `raise APIConnectionError(...) from error`, so `__cause__` says what happened. `httpx.ConnectError`
  (refused, DNS failure, TLS handshake), `httpx.ConnectTimeout`, `httpx.PoolTimeout` and
  `httpx.UnsupportedProtocol` all happen before a byte of the request left → UNAVAILABLE. Anything
  else (`httpx.ReadTimeout` — Stripe got the request but did not answer in time —, `WriteTimeout`,
  `ReadError`, `RemoteProtocolError`: the connection dropped after sending…) → UNKNOWN.
- Anything unexpected → UNKNOWN (logged): it is the answer that never marks a possibly paid order FAILED.

SDK retries are off (`max_network_retries=0`): with retries the SDK raises the *last* attempt's error,
so a first attempt that timed out after sending (may have charged) followed by a refused connection
would read as "nothing charged". Retrying a 5xx with the same key is pointless anyway (Stripe replays
the stored answer, 500s included). A caller that wants to retry sends the same ChargeRequest again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import stripe

from application.ports import ChargeOutcome, ChargeRequest, ChargeResult

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0

# Errors raised before any byte of the request can have reached Stripe.
_NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)

_CUSTOMER_MUST_ACT = frozenset({"requires_action", "requires_confirmation", "processing"})
_DECLINED_MESSAGE = "Your card was declined."


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
        self._http = stripe.HTTPXClient(timeout=httpx.Timeout(timeout_seconds))
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=self._http,
            max_network_retries=0,
        )

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe 16.1

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
            intent = await self._client.v1.payment_intents.create_async(
                params, options={"idempotency_key": request.idempotency_key}
            )
            answer = intent.to_dict()
        except stripe.CardError as error:
            return _declined(error)
        except stripe.APIConnectionError as error:
            return _no_answer(error, request)
        except stripe.StripeError as error:
            return _error_answer(error, request)
        except Exception:
            logger.exception("unexpected failure charging order %s through Stripe", request.order_id)
            return ChargeResult(ChargeOutcome.UNKNOWN, message="unexpected failure talking to Stripe")
        return _from_intent(answer, request)


def _from_intent(answer: dict[str, Any], request: ChargeRequest) -> ChargeResult:
    intent_id = answer.get("id")
    status = answer.get("status")
    client_secret = answer.get("client_secret")
    if not isinstance(intent_id, str) or not intent_id:
        logger.error("Stripe answered without a payment intent id (order %s)", request.order_id)
        return ChargeResult(ChargeOutcome.UNKNOWN, message="Stripe's answer could not be read")
    secret = client_secret if isinstance(client_secret, str) and client_secret else None
    if status == "succeeded":
        return ChargeResult(ChargeOutcome.SUCCEEDED, payment_intent_id=intent_id, client_secret=secret)
    if status in _CUSTOMER_MUST_ACT or (
        status == "requires_payment_method" and request.payment_method_id is None
    ):
        if secret is None:
            logger.error("Stripe answered %s without a client secret (order %s)", intent_id, request.order_id)
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
            message=_last_error_message(answer) or _DECLINED_MESSAGE,
        )
    # requires_capture (we never ask for manual capture) or a status this code does not know:
    # money may be held, so nothing is failed here; the webhook or expire-pending settles the order.
    logger.error("Stripe answered %s with unexpected status %r", intent_id, status)
    return ChargeResult(
        ChargeOutcome.UNKNOWN,
        payment_intent_id=intent_id,
        client_secret=secret,
        message=f"unexpected payment intent status {status!r}",
    )


def _last_error_message(answer: dict[str, Any]) -> str | None:
    last_error = answer.get("last_payment_error")
    if isinstance(last_error, dict):
        message = last_error.get("message")
        if isinstance(message, str) and message:
            return message
    return None


def _declined(error: stripe.CardError) -> ChargeResult:
    intent_id: str | None = None
    body = error.json_body
    if isinstance(body, dict):
        details = body.get("error")
        if isinstance(details, dict):
            intent = details.get("payment_intent")
            if isinstance(intent, dict) and isinstance(intent.get("id"), str):
                intent_id = intent["id"]
    return ChargeResult(
        ChargeOutcome.DECLINED,
        payment_intent_id=intent_id,
        message=error.user_message or _DECLINED_MESSAGE,
    )


def _no_answer(error: stripe.APIConnectionError, request: ChargeRequest) -> ChargeResult:
    cause = error.__cause__
    if isinstance(cause, _NOTHING_SENT):
        logger.warning("Stripe unreachable for order %s: %r", request.order_id, cause)
        return ChargeResult(ChargeOutcome.UNAVAILABLE, message="the payment provider could not be reached")
    logger.warning("no answer from Stripe for order %s after sending: %r", request.order_id, cause)
    return ChargeResult(
        ChargeOutcome.UNKNOWN, message="the payment provider did not answer; the charge may have happened"
    )


def _error_answer(error: stripe.StripeError, request: ChargeRequest) -> ChargeResult:
    status = error.http_status
    if isinstance(error, stripe.IdempotencyError) or status == 409:
        logger.error("Stripe idempotency conflict for order %s: %s", request.order_id, error.user_message)
        return ChargeResult(
            ChargeOutcome.UNKNOWN,
            message="another request with this idempotency key ran; the charge may have happened",
        )
    if status is None or status < 400:
        logger.error("unreadable answer from Stripe for order %s (HTTP %s)", request.order_id, status)
        return ChargeResult(ChargeOutcome.UNKNOWN, message="the payment provider's answer could not be read")
    logger.warning(
        "Stripe refused the charge of order %s: HTTP %s %s", request.order_id, status, type(error).__name__
    )
    return ChargeResult(ChargeOutcome.UNAVAILABLE, message=f"the payment provider answered HTTP {status}")
