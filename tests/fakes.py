"""Test doubles that are real implementations of our ports (fakes, not mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.ports import ChargeOutcome, ChargeRequest, ChargeResult, PasswordHasher


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class RecordingHasher:
    """Wraps a real hasher and counts the verifications it performs, so a test can see that an
    unknown email costs a (dummy) verification just like a wrong password does."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self.verifications = 0

    async def hash(self, password: str) -> str:
        return await self._inner.hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return await self._inner.verify(password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        self.verifications += 1
        await self._inner.verify_dummy(password)


class ScriptedPaymentProvider:
    """A payment provider that answers what the test scripted, and remembers what it was asked.
    For the outcomes a real provider only gives when it breaks: UNAVAILABLE and UNKNOWN."""

    def __init__(self, *outcomes: ChargeOutcome) -> None:
        self._outcomes = list(outcomes)
        self.requests: list[ChargeRequest] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.requests.append(request)
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        intent = f"pi_scripted_{request.order_id}"
        return ChargeResult(outcome=outcome, payment_intent_id=intent, client_secret=f"{intent}_secret_x")
