"""Refusals that belong to a use case rather than to an entity's own rules."""

from __future__ import annotations


class ApplicationError(Exception):
    """A use case refused the request."""


class NotFound(ApplicationError):
    def __init__(self, resource: str, identifier: object) -> None:
        super().__init__(f"{resource} {identifier} was not found")
        self.resource = resource
        self.identifier = identifier


class EmailTaken(ApplicationError):
    def __init__(self) -> None:
        super().__init__("an account with this email already exists")


class InvalidCredentials(ApplicationError):
    def __init__(self) -> None:
        super().__init__("the email or the password is wrong")


class InvalidRefreshToken(ApplicationError):
    def __init__(self) -> None:
        super().__init__("the refresh token is unknown, expired or revoked")


class InvalidAccessToken(ApplicationError):
    def __init__(
        self, reason: str = "the access token is missing, malformed, expired or tampered with"
    ) -> None:
        super().__init__(reason)


class Forbidden(ApplicationError):
    def __init__(self, reason: str = "this route is for shop staff only") -> None:
        super().__init__(reason)


class StoreUnavailable(ApplicationError):
    """The database could not be reached or timed out; nothing was written. Worth a retry later."""

    def __init__(self) -> None:
        super().__init__("the shop's database is unavailable; try again shortly")


class TooManyAttempts(ApplicationError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after_seconds} seconds")
        self.retry_after_seconds = retry_after_seconds


class CounterUnavailable(ApplicationError):
    """The shared attempt counter (Redis) could not be reached."""

    def __init__(self) -> None:
        super().__init__("the attempt counter is unavailable")
