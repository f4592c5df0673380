"""Every error leaves as RFC 9457 problem details with a stable `code` (see the contract's table).

Domain and application errors are mapped here, by class, to a status and a code: the core never
speaks HTTP. Anything unexpected becomes a bare 500 with no trace, SQL or secret in it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.enums import ParamType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import ParameterKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from application.errors import (
    ApplicationError,
    CounterUnavailable,
    EmailTaken,
    Forbidden,
    IdempotencyKeyReused,
    InvalidAccessToken,
    InvalidAccountToken,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidWebhook,
    NotFound,
    PasswordHashingBusy,
    PaymentDeclined,
    PaymentUnavailable,
    RefundNotMade,
    RefundRefused,
    RefundUnavailable,
    StoreUnavailable,
    TooManyAttempts,
)
from domain.errors import (
    AccountInactive,
    CartEmpty,
    DomainError,
    EmailNotVerified,
    InsufficientStock,
    InvalidTransition,
    InvalidValue,
    NotInCart,
    OrderNotPending,
    OrderNotShippable,
    ProductUnavailable,
    QuantityAboveLimit,
    SelfLockout,
    SessionEnded,
    TooManyPendingOrders,
)
from domain.refunds import OrderNotRefundable, RefundExceedsPayment
from domain.shipping import CountryNotServed, ShippingAddressRequired
from entrypoints.http.field_errors import (
    BODY,
    IS_NOT_VALID,
    IS_REQUIRED,
    MAX_ERRORS,
    InvalidField,
    InvalidInput,
    explain,
)

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("bookshop.errors")


class FieldError(msgspec.Struct):
    """One problem of the request's input; a refused request names all of them at once. `field`
    is a body field (a path inside nested bodies, such as `items[0].product_id`), a query or path
    parameter or a header as the client spelled it, or `body` for the body as a whole (missing,
    not valid UTF-8 or JSON, not an object). `message` is said of the field: "is required",
    "must be an integer", "must be at most 200 characters", "is not a field of this request;
    expected one of: ..."."""

    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem. `code` is the stable machine-readable reason."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None
    order_id: int | None = None
    refund_id: int | None = None


_TITLES = {
    "validation_error": "Invalid request",
    "unauthorized": "Authentication required",
    "invalid_credentials": "Invalid credentials",
    "invalid_refresh_token": "Invalid refresh token",
    "account_inactive": "Account inactive",
    "forbidden": "Forbidden",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "email_taken": "Email taken",
    "insufficient_stock": "Insufficient stock",
    "product_unavailable": "Product unavailable",
    "cart_empty": "Cart empty",
    "idempotency_key_reused": "Idempotency key in use",
    "too_many_pending_orders": "Too many unpaid orders",
    "payment_declined": "Payment declined",
    "conflict": "Conflict",
    "rate_limited": "Too many requests",
    "payment_unavailable": "Payment unavailable",
    "service_unavailable": "Service unavailable",
    "internal_error": "Internal server error",
    "shipping_address_required": "Shipping address required",
    "country_not_served": "Country not served",
    "order_not_shippable": "Order not shippable",
    "order_not_refundable": "Order not refundable",
    "refund_exceeds_payment": "Refund exceeds payment",
    "order_not_cancellable": "Order not cancellable",
    "invalid_token": "Invalid token",
}

CORE_ERRORS: Mapping[type[Exception], tuple[int, str]] = {
    InvalidValue: (400, "validation_error"),
    QuantityAboveLimit: (400, "validation_error"),
    InvalidAccessToken: (401, "unauthorized"),
    SessionEnded: (401, "unauthorized"),
    InvalidCredentials: (401, "invalid_credentials"),
    InvalidRefreshToken: (401, "invalid_refresh_token"),
    AccountInactive: (403, "account_inactive"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    NotInCart: (404, "not_found"),
    EmailTaken: (409, "email_taken"),
    InsufficientStock: (409, "insufficient_stock"),
    ProductUnavailable: (409, "product_unavailable"),
    CartEmpty: (409, "cart_empty"),
    SelfLockout: (409, "conflict"),
    InvalidTransition: (409, "conflict"),
    StoreUnavailable: (503, "service_unavailable"),
    TooManyAttempts: (429, "rate_limited"),
    CounterUnavailable: (503, "service_unavailable"),
    IdempotencyKeyReused: (409, "idempotency_key_reused"),
    TooManyPendingOrders: (409, "too_many_pending_orders"),
    InvalidWebhook: (400, "validation_error"),
    PaymentDeclined: (402, "payment_declined"),
    PaymentUnavailable: (503, "payment_unavailable"),
    RefundUnavailable: (503, "payment_unavailable"),
    PasswordHashingBusy: (503, "service_unavailable"),
    ShippingAddressRequired: (409, "shipping_address_required"),
    CountryNotServed: (409, "country_not_served"),
    OrderNotShippable: (409, "order_not_shippable"),
    OrderNotRefundable: (409, "order_not_refundable"),
    RefundExceedsPayment: (409, "refund_exceeds_payment"),
    RefundNotMade: (503, "payment_unavailable"),
    RefundRefused: (402, "payment_declined"),
    OrderNotPending: (409, "order_not_cancellable"),
    InvalidAccountToken: (400, "invalid_token"),
    EmailNotVerified: (403, "forbidden"),
}

_HTTP_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response[Problem]:
    problem = Problem(
        type=f"urn:bookshop:problem:{code}",
        title=_TITLES.get(code, "Error"),
        status=status,
        detail=detail,
        code=code,
        errors=errors,
        **extra,
    )
    all_headers = dict(headers or {})
    if status == 503:
        all_headers.setdefault("Retry-After", "5")
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="bookshop"')
    return Response(problem, status_code=status, media_type=PROBLEM_JSON, headers=all_headers)


def _core_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    mapped = next((CORE_ERRORS[cls] for cls in type(exc).__mro__ if cls in CORE_ERRORS), None)
    if mapped is None:
        return _unexpected(request, exc)
    status, code = mapped
    errors = [FieldError(exc.field, exc.message)] if isinstance(exc, InvalidValue) else None
    headers = (
        {"Retry-After": str(exc.retry_after_seconds)}
        if isinstance(exc, (TooManyAttempts, PasswordHashingBusy))
        else None
    )
    return problem_response(
        status, code, str(exc), errors=errors, headers=headers, **getattr(exc, "problem_extra", {})
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "internal_error" if status >= 500 else "validation_error")
    if isinstance(exc, ValidationException):
        invalid = _explained(request, exc)
        errors = [FieldError(field=error.field, message=error.message) for error in invalid.errors]
        return problem_response(400, "validation_error", invalid.detail, errors=errors or None)
    detail = exc.detail if status < 500 else "the service could not answer"
    if status == 400:
        code = "validation_error"
    return problem_response(status, code, str(detail), headers=exc.headers)


def _explained(request: Request[Any, Any, Any], refusal: ValidationException) -> InvalidInput:
    """Any refusal of the input, with every reason in words. Ours come explained already.
    Litestar's own are explained from what it states structurally: each item of its `extra`
    names the refused parameter (`key`, the handler's argument name) and where it comes from
    (`source`); the handler's signature gives its declared type and its name on the wire. A
    required header or cookie that is absent comes without items: the signature says which
    ones the handler requires."""
    if isinstance(refusal, InvalidInput):
        return refusal
    handler = request.scope.get("route_handler")
    if handler is None:
        return InvalidInput([])
    extra = refusal.extra if isinstance(refusal.extra, list) else []
    items = [item for item in extra if isinstance(item, Mapping)]
    if not items:
        return InvalidInput(_missing_parameters(request, handler))
    types = {field.name: field.type for field in msgspec.structs.fields(handler.signature_model)}
    errors = [
        error
        for item in items
        for error in _refused_parameter(request, handler, types, str(item.get("key", "")), item.get("source"))
    ]
    return InvalidInput(errors[:MAX_ERRORS])


def _refused_parameter(
    request: Request[Any, Any, Any],
    handler: BaseRouteHandler,
    types: Mapping[str, Any],
    key: str,
    source: object,
) -> list[InvalidField]:
    if source == "body":
        # `data` is the handler's body argument: Litestar refuses it only when no body came.
        return [InvalidField(BODY, IS_REQUIRED) if key == "data" else InvalidField(key, IS_NOT_VALID)]
    definition = handler.parsed_fn_signature.parameters.get(key)
    name = _wire_name(definition.kwarg_definition if definition else None, key) or "request"
    if source not in set(ParamType):
        return [InvalidField(name, IS_NOT_VALID)]
    raw = _sent(request, ParamType(source), name)
    if raw is None:
        return [InvalidField(name, IS_REQUIRED)]
    return explain(raw, types.get(key, Any), name, strict=False) or [InvalidField(name, IS_NOT_VALID)]


def _missing_parameters(request: Request[Any, Any, Any], handler: BaseRouteHandler) -> list[InvalidField]:
    missing = []
    for key, definition in handler.parsed_fn_signature.parameters.items():
        kwarg = definition.kwarg_definition
        if (
            isinstance(kwarg, ParameterKwarg)
            and kwarg.param_type in (ParamType.HEADER, ParamType.COOKIE)
            and definition.is_required
            and _sent(request, kwarg.param_type, name := _wire_name(kwarg, key)) is None
        ):
            missing.append(InvalidField(name, IS_REQUIRED))
    return missing


def _wire_name(kwarg: object, key: str) -> str:
    if isinstance(kwarg, ParameterKwarg) and kwarg.name:
        return kwarg.name
    return key


def _sent(request: Request[Any, Any, Any], source: ParamType, name: str) -> Any:
    if source is ParamType.PATH:
        return request.path_params.get(name)
    if source is ParamType.HEADER:
        return request.headers.get(name)
    if source is ParamType.COOKIE:
        return request.cookies.get(name)
    return request.query_params.get(name)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side"
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: _core_error,
    ApplicationError: _core_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the errors a route can answer, all as application/problem+json. Every
    route refuses query parameters it does not take, so every route may answer 400; every route
    touches the database, so every route may answer 503."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_DESCRIPTIONS.get(status, "Error"),
            generate_examples=False,
        )
        for status in sorted({400, *statuses, 503})
    }


_DESCRIPTIONS = {
    400: "validation_error: malformed JSON, wrong types, out-of-range values, unknown fields or query "
    "parameters; invalid_token: a password-reset or email-verification token that is unknown, used or "
    "expired",
    401: "unauthorized / invalid_credentials / invalid_refresh_token",
    402: "payment_declined",
    403: "account_inactive / forbidden",
    404: "not_found",
    409: "a state conflict (see `code`)",
    413: "payload_too_large",
    429: "rate_limited",
    503: "the database or the payment provider is unavailable, or (login, signup) the password-hashing "
    "queue is full; Retry-After says when to try again",
}
