"""Authentication at the edge: every route needs a valid access token unless it is marked public."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from application.errors import Forbidden, InvalidAccessToken
from application.own_account import Authenticate
from application.rate_limits import LimitAuthAttempts
from domain.identity import User
from entrypoints.http.dependencies import UsingDependency

Caller = Request[User, str, Any]
"""The request of a route behind authentication: `request.user` is the caller, as stored now."""

PUBLIC = "public"
"""Opt key: `opt={PUBLIC: True}` on a handler, controller or router lets it be called without a token."""


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Deny by default: a route is public only when it says so. The user is looked up on every call,
    so a deactivation or a demotion bites at once."""

    def __init__(self, app: ASGIApp, *, authenticate: Authenticate, **options: Any) -> None:
        super().__init__(app, exclude_from_auth_key=PUBLIC, **options)
        self._authenticate = authenticate

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidAccessToken("a bearer access token is required")
        user = await self._authenticate(token)
        return AuthenticationResult(user=user, auth=token)


def caller_id(request: Caller) -> int:
    if request.user.id is None:
        raise ValueError("an authenticated user always has an id")
    return request.user.id


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for every /admin route (set on the admin router, so no handler can forget it).

    OPTIONS is answered without authentication (it only lists the allowed methods, as a CORS
    preflight needs); everything else needs an admin."""
    if connection.scope.get("method") == "OPTIONS":
        return
    user = connection.scope.get("user")
    if not isinstance(user, User):
        raise InvalidAccessToken("a bearer access token is required")
    if not user.is_admin:
        raise Forbidden()


async def _limit(limiter: LimitAuthAttempts, request: Request[Any, Any, Any]) -> None:
    await limiter(request.client.host if request.client else "unknown")


limit_auth_attempts = UsingDependency(LimitAuthAttempts, _limit)
"""before_request hook of /auth/login and /auth/signup (and of any route that should draw on the
same allowance, such as the password-reset routes): counted before the body is even read, so
malformed attempts count too. Keyed on the peer address (X-Forwarded-For is not trusted)."""
