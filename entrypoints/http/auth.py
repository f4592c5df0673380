"""/auth: sign up, log in, refresh, log out, and who am I."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from application.own_account import LogIn, LogOut, RefreshSession, SignUp
from entrypoints.http.bodies import StrictBody
from entrypoints.http.dependencies import Inject
from entrypoints.http.openapi import BEARER
from entrypoints.http.problems import problems
from entrypoints.http.schemas.identity import (
    LoginRequest,
    RefreshTokenRequest,
    SignupRequest,
    TokenPairResponse,
    UserResponse,
)
from entrypoints.http.security import PUBLIC, Caller, limit_auth_attempts


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/signup",
        opt={PUBLIC: True},
        status_code=201,
        before_request=limit_auth_attempts,
        responses=problems(400, 409, 429),
        dto=StrictBody[SignupRequest],
    )
    async def signup(self, data: JSONBody[SignupRequest], sign_up: Inject[SignUp]) -> UserResponse:
        """Open an account. New accounts are always active USERs. The email is NFKC-normalised,
        trimmed and lower-cased; one holding a control or invisible formatting character
        (bidirectional overrides, zero-width characters) is refused (400)."""
        return UserResponse.of(await sign_up(data.email, data.password))

    @post(
        "/login",
        opt={PUBLIC: True},
        status_code=200,
        before_request=limit_auth_attempts,
        responses=problems(400, 401, 403, 429),
        dto=StrictBody[LoginRequest],
    )
    async def login(self, data: JSONBody[LoginRequest], log_in: Inject[LogIn]) -> TokenPairResponse:
        """Trade email and password for an access token and a refresh token."""
        return TokenPairResponse.of(await log_in(data.email, data.password))

    @post(
        "/refresh",
        opt={PUBLIC: True},
        status_code=200,
        responses=problems(400, 401, 403),
        dto=StrictBody[RefreshTokenRequest],
    )
    async def refresh(
        self, data: JSONBody[RefreshTokenRequest], refresh_session: Inject[RefreshSession]
    ) -> TokenPairResponse:
        """Rotate: the presented refresh token is revoked and a new pair issued. Presenting a revoked
        token again revokes every refresh token of its user — unless it comes within
        REFRESH_REUSE_GRACE_SECONDS (default 10) of its rotation (two tabs refreshing at once):
        then it is refused (401 `invalid_refresh_token`) and the user's sessions stay valid."""
        return TokenPairResponse.of(await refresh_session(data.refresh_token))

    @post(
        "/logout",
        opt={PUBLIC: True},
        status_code=204,
        responses=problems(400, 401),
        dto=StrictBody[RefreshTokenRequest],
    )
    async def logout(self, data: JSONBody[RefreshTokenRequest], log_out: Inject[LogOut]) -> None:
        """Revoke the refresh token. Logging out twice is fine."""
        await log_out(data.refresh_token)

    @get("/me", security=BEARER, responses=problems(401, 403))
    async def me(self, request: Caller) -> UserResponse:
        """The caller's account."""
        return UserResponse.of(request.user)
