"""The read side over the in-memory store, with the same meaning as the SQL one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from adapters.memory.store import MemoryStore
from application.queries import EmailPart, Page, PageRequest, ProductFilters, ProductSort, SearchTerms
from domain.catalog import Product, Series
from domain.identity import User
from domain.ordering import Order, OrderStatus
from domain.search import near_words

T = TypeVar("T", Product, User, Order)

_SORT_KEYS: dict[ProductSort, Callable[[Product], Any]] = {
    ProductSort.ID: lambda p: p.id,
    ProductSort.TITLE: lambda p: (p.title, p.id),
    ProductSort.PRICE: lambda p: (p.price_cents, p.id),
    ProductSort.PRICE_DESCENDING: lambda p: (-p.price_cents, p.id),
    ProductSort.CREATED: lambda p: (p.created_at, p.id),
    ProductSort.CREATED_DESCENDING: lambda p: (-p.created_at.timestamp(), p.id),
}


def _page(items: Iterable[T], page: PageRequest) -> Page[T]:
    everything = list(items)
    chosen = everything[page.offset : page.offset + page.limit]
    return Page(
        items=[replace(item) for item in chosen], total=len(everything), limit=page.limit, offset=page.offset
    )


def _passes(product: Product, filters: ProductFilters) -> bool:
    return (
        (filters.is_active is None or product.is_active is filters.is_active)
        and (filters.series is None or product.series is filters.series)
        and (not filters.author or filters.author.lower() in product.author.lower())
        and (filters.min_price_cents is None or product.price_cents >= filters.min_price_cents)
        and (filters.max_price_cents is None or product.price_cents <= filters.max_price_cents)
        and (filters.in_stock is None or (product.stock > 0) is filters.in_stock)
    )


class MemoryCatalogQueries:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_products(
        self, filters: ProductFilters, sort: ProductSort, page: PageRequest
    ) -> Page[Product]:
        chosen = (p for p in self._store.committed.products.values() if _passes(p, filters))
        return _page(sorted(chosen, key=_SORT_KEYS[sort]), page)

    async def search_products(
        self, terms: SearchTerms, page: PageRequest, *, series: Series | None = None
    ) -> Page[Product]:
        found = [
            p
            for p in self._store.committed.products.values()
            if p.is_active and (series is None or p.series is series) and terms.matches(p)
        ]
        return _page(sorted(found, key=lambda p: (not terms.all_in_title(p), p.id)), page)

    async def near_words(self, words: Sequence[str]) -> dict[str, list[str]]:
        vocabulary = self._store.committed.search_words
        return {word: near_words(word, vocabulary) for word in words}

    async def get_active_product(self, product_id: int) -> Product | None:
        product = self._store.committed.products.get(product_id)
        return replace(product) if product and product.is_active else None


class MemoryOrderQueries:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_orders(
        self, page: PageRequest, *, user_id: int | None = None, status: OrderStatus | None = None
    ) -> Page[Order]:
        chosen = [
            o
            for o in self._store.committed.orders.values()
            if (user_id is None or o.user_id == user_id) and (status is None or o.status is status)
        ]
        chosen.sort(key=lambda o: (o.created_at, o.id or 0), reverse=True)
        return _page(chosen, page)

    async def get_order(self, order_id: int) -> Order | None:
        order = self._store.committed.orders.get(order_id)
        return replace(order) if order else None


class MemoryUserQueries:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def list_users(
        self, page: PageRequest, *, is_active: bool | None = None, email: EmailPart | None = None
    ) -> Page[User]:
        chosen = (
            u
            for u in self._store.committed.users.values()
            if (is_active is None or u.is_active is is_active) and (email is None or email.matches(u.email))
        )
        return _page(sorted(chosen, key=lambda u: u.id or 0), page)

    async def get_user(self, user_id: int) -> User | None:
        user = self._store.committed.users.get(user_id)
        return replace(user) if user else None
