"""What is remembered of a checkout sent with an Idempotency-Key, so that the same key gets the same
answer (application.idempotent_checkout). Keys are per user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

ABANDONED_AFTER = timedelta(minutes=2)
"""A checkout still in progress after this long was cut off (a crash, a lost connection)."""


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class CheckoutOutcomeKind(StrEnum):
    """How a checkout answered: with its order, or with the order's id in a refusal."""

    ORDER = "order"
    DECLINED = "declined"
    UNAVAILABLE = "unavailable"


@dataclass(slots=True, kw_only=True)
class IdempotencyRecord:
    """What became of a checkout sent with an Idempotency-Key."""

    user_id: int
    key: str
    state: IdempotencyState
    created_at: datetime
    order_id: int | None = None
    outcome: CheckoutOutcomeKind | None = None
    client_secret: str | None = None

    def is_abandoned(self, now: datetime) -> bool:
        return self.created_at < now - ABANDONED_AFTER
