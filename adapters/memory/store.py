"""The shared in-memory "database": tables as dicts, one writer at a time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from application.idempotency import IdempotencyRecord
from application.outbox import StoredMessage
from domain.account_tokens import AccountToken
from domain.cart import Cart
from domain.catalog import Product
from domain.identity import RefreshToken, User
from domain.ordering import Order


@dataclass(slots=True)
class Tables:
    """Rows are entities that are never mutated in place (repositories copy on read and on write),
    so a shallow copy of the dicts is a full snapshot."""

    users: dict[int, User] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    carts: dict[int, Cart] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    idempotency_keys: dict[tuple[int, str], IdempotencyRecord] = field(default_factory=dict)
    payment_events: dict[str, datetime] = field(default_factory=dict)
    search_words: set[str] = field(default_factory=set)
    """Every word products have been found by (domain.search.product_text), kept like the SQL
    store's vocabulary: only ever added to."""
    outbox: dict[str, StoredMessage] = field(default_factory=dict)
    account_tokens: dict[str, AccountToken] = field(default_factory=dict)

    def snapshot(self) -> Tables:
        return Tables(
            users=dict(self.users),
            refresh_tokens=dict(self.refresh_tokens),
            products=dict(self.products),
            carts=dict(self.carts),
            orders=dict(self.orders),
            idempotency_keys=dict(self.idempotency_keys),
            payment_events=dict(self.payment_events),
            search_words=set(self.search_words),
            outbox=dict(self.outbox),
            account_tokens=dict(self.account_tokens),
        )


class MemoryStore:
    """Committed state plus the lock that makes every unit of work serializable, which is how the
    in-memory adapter keeps the rules a database keeps with row locks and conditional updates."""

    def __init__(self) -> None:
        self.committed = Tables()
        self.lock = asyncio.Lock()
        self._sequences: dict[str, Iterator[int]] = {}
        self.catalogue_version = 0
        """Moved on by every commit that changed a product (see MemoryCatalogueVersion)."""

    def next_id(self, table: str) -> int:
        """Like a database sequence: ids are never reused, even after a rollback."""
        return next(self._sequences.setdefault(table, itertools.count(1)))
