"""Test doubles that are real implementations of our ports (fakes, not mocks)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from application.ports import (
    ChargeOutcome,
    ChargeRequest,
    ChargeResult,
    IntentState,
    PasswordHasher,
    PayAgainRequest,
    PaymentIntentStatus,
    PaymentProvider,
    RefundOutcome,
    RefundRequest,
    RefundResult,
    UnitOfWorkFactory,
)


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
    For the outcomes a real provider only gives when it breaks: UNAVAILABLE and UNKNOWN charges,
    refunds that fail, intents in a given state.

    Charges answer the scripted outcomes in turn (the last one again and again), with the intent
    `pi_scripted_<order id>` (none with `names_intent=False`: an answer lost before it named one).
    `intents` holds what `status` tells, by intent id; a test may set it. Refunds answer
    `refund_outcomes` in turn the same way."""

    def __init__(
        self,
        *outcomes: ChargeOutcome,
        refund_outcomes: Sequence[RefundOutcome] = (RefundOutcome.SUCCEEDED,),
        names_intent: bool = True,
    ) -> None:
        self._outcomes = list(outcomes)
        self._refund_outcomes = list(refund_outcomes)
        self._names_intent = names_intent
        self.requests: list[ChargeRequest] = []
        self.intents: dict[str, PaymentIntentStatus] = {}
        self.status_requests: list[str] = []
        self.cancelled: list[str] = []
        self.refund_requests: list[RefundRequest] = []
        self.pay_again_requests: list[PayAgainRequest] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.requests.append(request)
        outcome = _next(self._outcomes)
        intent = f"pi_scripted_{request.order_id}"
        state = IntentState.SUCCEEDED if outcome is ChargeOutcome.SUCCEEDED else IntentState.OPEN
        self.intents.setdefault(intent, PaymentIntentStatus(state, request.amount_cents, request.currency))
        if not self._names_intent:
            return ChargeResult(outcome=outcome)
        return ChargeResult(outcome=outcome, payment_intent_id=intent, client_secret=f"{intent}_secret_x")

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        self.status_requests.append(payment_intent_id)
        return self.intents.get(payment_intent_id, PaymentIntentStatus(IntentState.MISSING))

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        self.cancelled.append(payment_intent_id)
        known = self.intents.get(payment_intent_id)
        if known is not None and known.state is IntentState.OPEN:
            self.intents[payment_intent_id] = replace(known, state=IntentState.CANCELED)
        return await self.status(payment_intent_id)

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        """The next scripted outcome, on the same intent (pay_again_requests holds what was asked)."""
        self.pay_again_requests.append(request)
        outcome = _next(self._outcomes)
        intent = request.payment_intent_id
        known = self.intents.get(intent)
        if known is not None and outcome is ChargeOutcome.SUCCEEDED:
            self.intents[intent] = replace(known, state=IntentState.SUCCEEDED)
        return ChargeResult(outcome=outcome, payment_intent_id=intent, client_secret=f"{intent}_secret_x")

    async def refund(self, request: RefundRequest) -> RefundResult:
        self.refund_requests.append(request)
        outcome = _next(self._refund_outcomes)
        return RefundResult(outcome, refund_id=f"re_scripted_{len(self.refund_requests)}")


T = TypeVar("T")


def _next(script: list[T]) -> T:
    return script.pop(0) if len(script) > 1 else script[0]


class LockCheckingProvider:
    """Wraps a provider and proves, on every call, that the caller holds no lock on the order the
    call is about: it locks that order itself, in a transaction of its own, and fails the call if
    it cannot within two seconds. (On SQLite every transaction takes the database's write lock, so
    there it proves that the caller holds no transaction at all.)"""

    def __init__(self, inner: PaymentProvider, uow: UnitOfWorkFactory) -> None:
        self._inner = inner
        self._uow = uow
        self.calls = 0

    async def _probe(self, *, order_id: int | None = None, payment_intent_id: str | None = None) -> None:
        async def lock() -> None:
            async with self._uow() as tx:
                if order_id is not None:
                    await tx.orders.get(order_id, for_update=True)
                elif payment_intent_id is not None:
                    await tx.orders.get_by_payment_intent(payment_intent_id)
                await tx.commit()

        try:
            await asyncio.wait_for(lock(), timeout=2)
        except TimeoutError:
            raise AssertionError("the provider was called while the order was locked") from None
        self.calls += 1

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        await self._probe(order_id=request.order_id)
        return await self._inner.charge(request)

    async def status(self, payment_intent_id: str) -> PaymentIntentStatus:
        await self._probe(payment_intent_id=payment_intent_id)
        return await self._inner.status(payment_intent_id)

    async def cancel(self, payment_intent_id: str) -> PaymentIntentStatus:
        await self._probe(payment_intent_id=payment_intent_id)
        return await self._inner.cancel(payment_intent_id)

    async def pay_again(self, request: PayAgainRequest) -> ChargeResult:
        await self._probe(order_id=request.order_id)
        return await self._inner.pay_again(request)

    async def refund(self, request: RefundRequest) -> RefundResult:
        await self._probe(order_id=request.order_id)
        return await self._inner.refund(request)
