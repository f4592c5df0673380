"""Carts: one per user, locked while it changes, written back line by line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.tables import cart_items, carts
from domain.cart import Cart, CartItem


class SqlCartRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_for_user(self, user_id: int) -> Cart | None:
        row = (await self._conn.execute(select(carts).where(carts.c.user_id == user_id))).first()
        return await self._with_items(row) if row else None

    async def get_for_update(self, user_id: int, now: datetime) -> Cart:
        # The row can vanish between the two statements (a settlement deleting an emptied cart
        # commits while we wait for its lock): then it is simply created again.
        while True:
            await self._conn.execute(
                insert(self._conn, carts)
                .values(user_id=user_id, updated_at=now)
                .on_conflict_do_nothing(index_elements=[carts.c.user_id])
            )
            row = (
                await self._conn.execute(select(carts).where(carts.c.user_id == user_id).with_for_update())
            ).first()
            if row is not None:
                return await self._with_items(row)

    async def save(self, cart: Cart) -> None:
        if cart.id is None:
            raise ValueError("save a cart obtained from get_for_update")
        stored = {
            row.product_id: row.quantity
            for row in await self._conn.execute(
                select(cart_items.c.product_id, cart_items.c.quantity).where(cart_items.c.cart_id == cart.id)
            )
        }
        gone = [pid for pid in stored if pid not in cart.items]
        if gone:
            await self._conn.execute(
                delete(cart_items).where(cart_items.c.cart_id == cart.id, cart_items.c.product_id.in_(gone))
            )
        for pid, item in cart.items.items():
            if pid not in stored:
                await self._conn.execute(
                    cart_items.insert().values(cart_id=cart.id, product_id=pid, quantity=item.quantity)
                )
            elif stored[pid] != item.quantity:
                await self._conn.execute(
                    update(cart_items)
                    .where(cart_items.c.cart_id == cart.id, cart_items.c.product_id == pid)
                    .values(quantity=item.quantity)
                )
        await self._conn.execute(
            update(carts).where(carts.c.id == cart.id).values(updated_at=cart.updated_at)
        )

    async def delete_for_user(self, user_id: int) -> None:
        cart_ids = select(carts.c.id).where(carts.c.user_id == user_id).scalar_subquery()
        await self._conn.execute(delete(cart_items).where(cart_items.c.cart_id == cart_ids))
        await self._conn.execute(delete(carts).where(carts.c.user_id == user_id))

    async def _with_items(self, row: Row[Any]) -> Cart:
        lines = await self._conn.execute(
            select(cart_items.c.product_id, cart_items.c.quantity)
            .where(cart_items.c.cart_id == row.id)
            .order_by(cart_items.c.id)
        )
        return Cart(
            id=row.id,
            user_id=row.user_id,
            updated_at=row.updated_at,
            items={line.product_id: CartItem(line.product_id, line.quantity) for line in lines},
        )
