"""The messages the shop sends, one function per kind: what each says is in its templates
(adapters/email/templates/<kind>.*), what it needs to say it is here."""

from __future__ import annotations

from application.outbox import ContextValue, OutboxMessage
from domain.identity import User


def welcome(user: User, verification_token: str | None = None) -> OutboxMessage:
    """ "Your account was created", once per account; with the token that verifies the address
    (application.email_verification), so signing up sends one email, not two."""
    context: dict[str, ContextValue] = {"email": user.email}
    if verification_token is not None:
        context["token"] = verification_token
    return OutboxMessage(kind="welcome", recipient=user.email, context=context, key=f"welcome:{user.id}")


def password_reset(user: User, token: str, valid_minutes: int) -> OutboxMessage:
    """The link that sets a new password: the one secret it holds is the single-use token."""
    return OutboxMessage(
        kind="password_reset",
        recipient=user.email,
        context={"email": user.email, "token": token, "valid_minutes": valid_minutes},
    )


def verify_email(user: User, token: str) -> OutboxMessage:
    """Another link to verify the address (asked for with /auth/verify-email/resend)."""
    return OutboxMessage(
        kind="verify_email", recipient=user.email, context={"email": user.email, "token": token}
    )
