"""Carts: one per user."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import MemoryStore, Tables
from domain.cart import Cart


def _copy_cart(cart: Cart) -> Cart:
    return replace(cart, items={pid: replace(item) for pid, item in cart.items.items()})


class MemoryCartRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._carts = tables.carts
        self._store = store

    async def get_for_user(self, user_id: int) -> Cart | None:
        cart = self._carts.get(user_id)
        return _copy_cart(cart) if cart else None

    async def get_for_update(self, user_id: int, now: datetime) -> Cart:
        cart = self._carts.get(user_id)
        if cart is None:
            cart = Cart(user_id=user_id, updated_at=now, id=self._store.next_id("carts"))
            self._carts[user_id] = cart
        return _copy_cart(cart)

    async def save(self, cart: Cart) -> None:
        if cart.id is None:
            cart.id = self._store.next_id("carts")
        self._carts[cart.user_id] = _copy_cart(cart)

    async def delete_for_user(self, user_id: int) -> None:
        self._carts.pop(user_id, None)
