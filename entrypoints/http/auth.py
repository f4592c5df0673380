"""/auth: sign up, log in, refresh, log out, and who am I."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from application.email_verification import ResendVerificationEmail, VerifyEmail
from application.own_account import LogIn, LogOut, RefreshSession, SignUp
from application.passwords import ChangePassword, RequestPasswordReset, ResetPassword
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
from entrypoints.http.schemas.passwords import (
    AcceptedResponse,
    ChangePasswordRequest,
    PasswordResetConfirmation,
    PasswordResetRequest,
    VerifyEmailRequest,
)
from entrypoints.http.security import PUBLIC, Caller, caller_id, limit_auth_attempts

ON_CHANGING_IT = (
    "Change the password, giving the current one (wrong → 401 `invalid_credentials`). Every session "
    "of the account ends — refresh tokens revoked, access tokens issued before refused — and this "
    "answer is a new token pair, the one session left. Reset links sent before stop working. Draws on "
    "the same allowance as login (AUTH_RATE_LIMIT)."
)
ON_ASKING_FOR_A_RESET = (
    'Ask for a password-reset link. Always 202 `{"status": "accepted"}`, in about the same time, '
    "whether or not the address has an active account. An active account gets an email holding a "
    "single-use token valid PASSWORD_RESET_TTL_SECONDS (default 1800); only its hash is stored. "
    "Rate-limited (AUTH_RATE_LIMIT)."
)
ON_CONFIRMING_A_RESET = (
    "Set a new password with the token from the reset email. The token is used up; every session of "
    "the account ends (refresh tokens and access tokens issued before); the address counts as "
    "verified. Unknown, used or expired token → 400 `invalid_token`."
)
VERIFY_EMAIL_RULES = (
    "Verify the address with the token from the welcome (or a resent) email: the user's "
    "`email_verified` becomes true. Unknown, used or expired (48 hours) token → 400 `invalid_token`."
)
RESEND_VERIFICATION_EMAIL_RULES = (
    "Send another verification email (valid 48 hours; earlier ones keep working until they expire). "
    "An address already verified gets none; the answer is 202 either way."
)


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

    @post(
        "/password",
        description=ON_CHANGING_IT,
        operation_id="changePassword",
        security=BEARER,
        status_code=200,
        before_request=limit_auth_attempts,
        responses=problems(400, 401, 403, 429),
        dto=StrictBody[ChangePasswordRequest],
    )
    async def change_password(
        self, request: Caller, data: JSONBody[ChangePasswordRequest], change_password: Inject[ChangePassword]
    ) -> TokenPairResponse:
        pair = await change_password(request.user, data.current_password, data.new_password)
        return TokenPairResponse.of(pair)

    @post(
        "/password-reset",
        description=ON_ASKING_FOR_A_RESET,
        operation_id="requestPasswordReset",
        opt={PUBLIC: True},
        status_code=202,
        before_request=limit_auth_attempts,
        responses=problems(400, 429),
        dto=StrictBody[PasswordResetRequest],
    )
    async def request_password_reset(
        self, data: JSONBody[PasswordResetRequest], request_password_reset: Inject[RequestPasswordReset]
    ) -> AcceptedResponse:
        await request_password_reset(data.email)
        return AcceptedResponse()

    @post(
        "/password-reset/confirm",
        description=ON_CONFIRMING_A_RESET,
        operation_id="confirmPasswordReset",
        opt={PUBLIC: True},
        status_code=204,
        before_request=limit_auth_attempts,
        responses=problems(400, 429),
        dto=StrictBody[PasswordResetConfirmation],
    )
    async def confirm_password_reset(
        self, data: JSONBody[PasswordResetConfirmation], reset_password: Inject[ResetPassword]
    ) -> None:
        await reset_password(data.token, data.new_password)

    @post(
        "/verify-email",
        description=VERIFY_EMAIL_RULES,
        operation_id="verifyEmail",
        opt={PUBLIC: True},
        status_code=204,
        responses=problems(400),
        dto=StrictBody[VerifyEmailRequest],
    )
    async def verify_email(
        self, data: JSONBody[VerifyEmailRequest], verify_email: Inject[VerifyEmail]
    ) -> None:
        await verify_email(data.token)

    @post(
        "/verify-email/resend",
        description=RESEND_VERIFICATION_EMAIL_RULES,
        operation_id="resendVerificationEmail",
        security=BEARER,
        status_code=202,
        before_request=limit_auth_attempts,
        responses=problems(400, 401, 403, 429),
    )
    async def resend_verification_email(
        self, request: Caller, resend_verification_email: Inject[ResendVerificationEmail]
    ) -> AcceptedResponse:
        await resend_verification_email(caller_id(request))
        return AcceptedResponse()
