"""A small local stand-in for Stripe's PaymentIntents and Refunds API, for testing the real SDK
over real HTTP.

`FakeStripe` is an `http.server` on 127.0.0.1 (a free port) in a background thread. It answers like
Stripe does (form-encoded body in, JSON out, errors as `{"error": {...}}`), checks the
`Authorization: Bearer <api key>` header, honours `Idempotency-Key` (the same key again → the
stored answer, replayed, 500s included; other parameters with a used key → 400 idempotency_error; a
key whose first request is still running → 409) and records every request so tests can assert
what the adapter sent.

Routes: `POST /v1/payment_intents` (create, and confirm at once with a payment method),
`GET /v1/payment_intents/{id}`, `POST /v1/payment_intents/{id}/confirm` (confirm it again with
another payment method: the table below; 400 `payment_intent_unexpected_state` once it succeeded or
was canceled), `POST /v1/payment_intents/{id}/cancel` (400
`payment_intent_unexpected_state`, carrying the intent, once it succeeded or was canceled) and
`POST /v1/refunds` (400 `charge_already_refunded` when nothing is left, `amount_too_large` above
what is left; only a succeeded intent can be refunded).

What a create does is chosen by the payment method sent, like Stripe's test mode, or forced for
every request (any route) with `fake.force = Behaviour.X`:

| payment_method                                          | answer                                      |
|---------------------------------------------------------|---------------------------------------------|
| none                                                    | 200, status requires_payment_method         |
| `pm_card_authenticationRequired`                        | 200, status requires_action                 |
| `pm_card_visa_chargeDeclined`, `pm_card_chargeDeclined*`| 402 card_error card_declined                |
| `pm_fake_serverError`                                   | 500 api_error                               |
| `pm_fake_hang`                                          | no answer for `hang_seconds`, then succeeded |
| an id not starting `pm_`                                | 400 resource_missing (param payment_method) |
| anything else                                           | 200, status succeeded                       |

Forced only: `RATE_LIMITED` (429), `GARBLED` (200 with a body that is not JSON), `TRICKLE` (the
right answer, a byte every `trickle_seconds`). `fake.succeed(id)`
is the customer completing the payment in the browser: the intent succeeds.

    with FakeStripe() as fake:
        provider = StripePaymentProvider(fake.api_key, api_base=fake.url, timeout_seconds=0.5)
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl

SERVER_ERROR_METHOD = "pm_fake_serverError"
HANG_METHOD = "pm_fake_hang"
AUTHENTICATION_REQUIRED_METHOD = "pm_card_authenticationRequired"
DECLINE_MESSAGE = "Your card was declined."
PAYMENT_INTENTS_PATH = "/v1/payment_intents"
REFUNDS_PATH = "/v1/refunds"
_INTENT_PATH = re.compile(r"/v1/payment_intents/(?P<id>[A-Za-z0-9_]+)(?P<action>/cancel|/confirm)?")
_CANCELLABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing"}
)


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    REQUIRE_ACTION = "require_action"
    REQUIRE_PAYMENT_METHOD = "require_payment_method"
    DECLINE = "decline"
    SERVER_ERROR = "server_error"
    HANG = "hang"
    RATE_LIMITED = "rate_limited"
    GARBLED = "garbled"
    TRICKLE = "trickle"
    UNKNOWN_PAYMENT_METHOD = "unknown_payment_method"


_BY_PAYMENT_METHOD = {
    AUTHENTICATION_REQUIRED_METHOD: Behaviour.REQUIRE_ACTION,
    "pm_card_visa_chargeDeclined": Behaviour.DECLINE,
    SERVER_ERROR_METHOD: Behaviour.SERVER_ERROR,
    HANG_METHOD: Behaviour.HANG,
}


def behaviour_for(payment_method: str | None) -> Behaviour:
    if payment_method is None:
        return Behaviour.REQUIRE_PAYMENT_METHOD
    if not payment_method.startswith("pm_"):
        return Behaviour.UNKNOWN_PAYMENT_METHOD
    if payment_method.startswith("pm_card_chargeDeclined"):
        return Behaviour.DECLINE
    return _BY_PAYMENT_METHOD.get(payment_method, Behaviour.SUCCEED)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    """The form body as sent, nested keys flattened the way Stripe reads them: `metadata[order_id]`."""
    idempotency_key: str | None
    authorization: str | None


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    request: tuple[str, dict[str, str]]


@dataclass(slots=True)
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, _Answer] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)


def _random(length: int) -> str:
    return secrets.token_hex(length)[:length]


def _error(error_type: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": error_type, "message": message, **extra}}


class FakeStripe:
    def __init__(self, *, api_key: str = "sk_test_fake_0123456789", hang_seconds: float = 10.0) -> None:
        self.api_key = api_key
        self.hang_seconds = hang_seconds
        self.trickle_seconds = 0.2
        self.force: Behaviour | None = None
        self._lock = threading.Lock()
        self._state = _State()
        self._release = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-stripe", daemon=True
        )

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._release.set()  # lets hanging requests finish at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- what tests look at -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def intents(self) -> dict[str, dict[str, Any]]:
        """Every payment intent created so far, by id (replays create none)."""
        with self._lock:
            return {intent_id: dict(intent) for intent_id, intent in self._state.intents.items()}

    @property
    def refunds(self) -> list[dict[str, Any]]:
        """Every refund made so far (replays make none)."""
        with self._lock:
            return [dict(refund) for refund in self._state.refunds]

    def succeed(self, payment_intent_id: str) -> None:
        """The customer completes the payment (3-D Secure, a card entered in the browser)."""
        with self._lock:
            intent = self._state.intents[payment_intent_id]
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]

    def trickle(self, stream: BufferedIOBase, payload: bytes) -> None:
        """Send the answer a byte every `trickle_seconds`: never idle long enough for a client's
        read timeout, and never done in any reasonable time."""
        for byte in payload:
            stream.write(bytes([byte]))
            stream.flush()
            if self._release.wait(self.trickle_seconds):
                return

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recorded = self.requests
            if len(recorded) >= count:
                return recorded
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    # --- the API ------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        key = headers.get("idempotency-key")
        with self._lock:
            self._state.requests.append(
                RecordedRequest(method, path, params, key, headers.get("authorization"))
            )
            force = self.force
        refusal = self._refusal(method, path, headers, force)
        if refusal is not None:
            return refusal
        if key is not None:
            replay = self._replay_or_claim(key, (path, params))
            if replay is not None:
                return replay
        try:
            status, body, extra = self._route(method, path, params, force)
            if key is not None:
                with self._lock:
                    self._state.answers[key] = _Answer(status, body, (path, params))
            return status, body, extra
        finally:
            if key is not None:
                with self._lock:
                    self._state.in_flight.discard(key)

    def _refusal(
        self, method: str, path: str, headers: dict[str, str], force: Behaviour | None
    ) -> tuple[int, bytes, dict[str, str]] | None:
        """What Stripe refuses before its idempotency layer: bad key, unknown route, rate limit."""
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return _json(401, _error("invalid_request_error", "Invalid API Key provided."))
        known = (method == "POST" and path in {PAYMENT_INTENTS_PATH, REFUNDS_PATH}) or (
            (match := _INTENT_PATH.fullmatch(path)) is not None
            and method == ("POST" if match.group("action") else "GET")
        )
        if not known:
            message = f"Unrecognized request URL ({method}: {path})."
            return _json(404, _error("invalid_request_error", message))
        if force is Behaviour.RATE_LIMITED:
            return _json(429, _error("invalid_request_error", "Too many requests.", code="rate_limit"))
        return None

    def _replay_or_claim(
        self, key: str, request: tuple[str, dict[str, str]]
    ) -> tuple[int, bytes, dict[str, str]] | None:
        """The stored answer for a used key (or a refusal); None when the key is new, now claimed."""
        with self._lock:
            stored = self._state.answers.get(key)
            if stored is None:
                if key in self._state.in_flight:
                    message = "There is currently another in-progress request using this Idempotent Key."
                    return _json(409, _error("idempotency_error", message, code="idempotency_key_in_use"))
                self._state.in_flight.add(key)
                return None
        if stored.request != request:
            message = (
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with."
            )
            return _json(400, _error("idempotency_error", message))
        return stored.status, stored.body, {"Idempotent-Replayed": "true"}

    def _route(
        self, method: str, path: str, params: dict[str, str], force: Behaviour | None
    ) -> tuple[int, bytes, dict[str, str]]:
        if force is Behaviour.SERVER_ERROR:
            return _json(500, _error("api_error", "An unknown error occurred."))
        if force is Behaviour.GARBLED:
            return 200, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"}
        if force is Behaviour.HANG and path != PAYMENT_INTENTS_PATH:
            self._release.wait(self.hang_seconds)
        if path == PAYMENT_INTENTS_PATH:
            chosen = behaviour_for(params.get("payment_method"))
            return self._execute(chosen if force in {None, Behaviour.TRICKLE} else force, params)
        if path == REFUNDS_PATH:
            return self._refund(params)
        match = _INTENT_PATH.fullmatch(path)
        assert match is not None
        if match.group("action") == "/confirm":
            return self._confirm(match.group("id"), params, force)
        return self._intent(match.group("id"), cancel=method == "POST")

    def _intent(self, intent_id: str, *, cancel: bool) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            intent = self._state.intents.get(intent_id)
            if intent is None:
                message = f"No such payment_intent: '{intent_id}'"
                return _json(
                    404, _error("invalid_request_error", message, code="resource_missing", param="intent")
                )
            if not cancel:
                return _json(200, dict(intent))
            if intent["status"] not in _CANCELLABLE:
                message = (
                    f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}."
                )
                return _json(
                    400,
                    _error(
                        "invalid_request_error",
                        message,
                        code="payment_intent_unexpected_state",
                        payment_intent=dict(intent),
                    ),
                )
            intent["status"] = "canceled"
            intent["canceled_at"] = int(time.time())
            return _json(200, dict(intent))

    def _confirm(
        self, intent_id: str, params: dict[str, str], force: Behaviour | None
    ) -> tuple[int, bytes, dict[str, str]]:
        """Confirm an existing intent with a payment method: like a create's confirmation, on the
        same intent (a decline leaves it requires_payment_method, for a further attempt)."""
        method = params.get("payment_method")
        behaviour = behaviour_for(method) if force in {None, Behaviour.TRICKLE} else force
        if behaviour is Behaviour.SERVER_ERROR:
            return _json(500, _error("api_error", "An unknown error occurred."))
        if behaviour is Behaviour.UNKNOWN_PAYMENT_METHOD:
            message = f"No such PaymentMethod: '{method}'"
            return _json(
                400, _error("invalid_request_error", message, code="resource_missing", param="payment_method")
            )
        if behaviour is Behaviour.HANG:
            self._release.wait(self.hang_seconds)
            behaviour = Behaviour.SUCCEED
        with self._lock:
            intent = self._state.intents.get(intent_id)
            if intent is None:
                message = f"No such payment_intent: '{intent_id}'"
                return _json(
                    404, _error("invalid_request_error", message, code="resource_missing", param="intent")
                )
            if intent["status"] in {"succeeded", "canceled"}:
                message = (
                    f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}."
                )
                return _json(
                    400,
                    _error(
                        "invalid_request_error",
                        message,
                        code="payment_intent_unexpected_state",
                        payment_intent=dict(intent),
                    ),
                )
            intent["payment_method"] = method
            intent["last_payment_error"] = None
            intent["next_action"] = None
            if behaviour is Behaviour.SUCCEED:
                intent["status"] = "succeeded"
                intent["amount_received"] = intent["amount"]
            elif behaviour is Behaviour.REQUIRE_ACTION:
                intent["status"] = "requires_action"
                intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": DECLINE_MESSAGE,
                }
                return _json(
                    402,
                    _error(
                        "card_error",
                        DECLINE_MESSAGE,
                        code="card_declined",
                        decline_code="generic_decline",
                        payment_intent=dict(intent),
                    ),
                )
            return _json(200, dict(intent))

    def _refund(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        intent_id = params.get("payment_intent", "")
        with self._lock:
            intent = self._state.intents.get(intent_id)
            if intent is None:
                message = f"No such payment_intent: '{intent_id}'"
                return _json(
                    400,
                    _error("invalid_request_error", message, code="resource_missing", param="payment_intent"),
                )
            if intent["status"] != "succeeded":
                message = f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
                return _json(400, _error("invalid_request_error", message, code="charge_not_refundable"))
            left = intent["amount_received"] - sum(
                r["amount"] for r in self._state.refunds if r["payment_intent"] == intent_id
            )
            amount = int(params.get("amount", left))
            if left == 0:
                message = f"Charge for {intent_id} has already been refunded."
                return _json(400, _error("invalid_request_error", message, code="charge_already_refunded"))
            if amount > left:
                message = f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})."
                return _json(
                    400, _error("invalid_request_error", message, code="amount_too_large", param="amount")
                )
            refund = {
                "id": f"re_{_random(24)}",
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "status": "succeeded",
                "created": int(time.time()),
                "metadata": _metadata(params),
            }
            self._state.refunds.append(refund)
            return _json(200, refund)

    def _execute(self, behaviour: Behaviour, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if behaviour is Behaviour.SERVER_ERROR:
            return _json(500, _error("api_error", "An unknown error occurred."))
        if behaviour is Behaviour.GARBLED:
            return 200, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"}
        if behaviour is Behaviour.UNKNOWN_PAYMENT_METHOD:
            message = f"No such PaymentMethod: '{params.get('payment_method')}'"
            return _json(
                400, _error("invalid_request_error", message, code="resource_missing", param="payment_method")
            )
        if behaviour is Behaviour.HANG:
            self._release.wait(self.hang_seconds)
            behaviour = Behaviour.SUCCEED
        intent = self._new_intent(params, behaviour)
        with self._lock:
            self._state.intents[intent["id"]] = intent
        if behaviour is Behaviour.DECLINE:
            return _json(
                402,
                _error(
                    "card_error",
                    DECLINE_MESSAGE,
                    code="card_declined",
                    decline_code="generic_decline",
                    payment_intent=intent,
                ),
            )
        return _json(200, intent)

    def _new_intent(self, params: dict[str, str], behaviour: Behaviour) -> dict[str, Any]:
        intent_id = f"pi_{_random(24)}"
        status = {
            Behaviour.SUCCEED: "succeeded",
            Behaviour.REQUIRE_ACTION: "requires_action",
            Behaviour.REQUIRE_PAYMENT_METHOD: "requires_payment_method",
            Behaviour.DECLINE: "requires_payment_method",
        }[behaviour]
        amount = int(params.get("amount", "0"))
        return {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount if status == "succeeded" else 0,
            "currency": params.get("currency"),
            "status": status,
            "client_secret": f"{intent_id}_secret_{_random(25)}",
            "confirmation_method": "automatic",
            "capture_method": "automatic",
            "created": int(time.time()),
            "livemode": False,
            "payment_method": params.get("payment_method"),
            "metadata": _metadata(params),
            "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            if status == "requires_action"
            else None,
            "last_payment_error": {"type": "card_error", "code": "card_declined", "message": DECLINE_MESSAGE}
            if behaviour is Behaviour.DECLINE
            else None,
        }


def _metadata(params: dict[str, str]) -> dict[str, str]:
    prefix = "metadata["
    return {
        name[len(prefix) : -1]: value
        for name, value in params.items()
        if name.startswith(prefix) and name.endswith("]")
    }


def _json(status: int, document: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps(document).encode(), {"Content-Type": "application/json"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeStripe) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        params = dict(parse_qsl(body or query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        fake = cast("_Server", self.server).fake
        status, payload, extra = fake.handle(self.command, path, params, headers)
        try:
            self.send_response(status)
            self.send_header("Content-Type", extra.pop("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{_random(14)}")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if fake.force is Behaviour.TRICKLE:
                fake.trickle(self.wfile, payload)
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout): nobody to answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not every request."""
