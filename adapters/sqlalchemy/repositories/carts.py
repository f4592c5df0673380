"""Carts: one per user, locked while it changes, written back line by line.

Round trips are what a cart costs (measured: a cart view ~6 statements, an add ~11): the cart
comes with its lines in one statement, locking-or-creating it is one statement, and `save` writes
only what changed since the repository loaded it, without reading it again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.driver import utc
from adapters.sqlalchemy.in_transaction import DriverInTransaction
from adapters.sqlalchemy.on_conflict import insert
from adapters.sqlalchemy.rows import address_from_text, address_to_text
from adapters.sqlalchemy.tables import cart_items, carts
from domain.cart import Cart, CartItem

_CART_WITH_LINES = (
    select(
        carts.c.id,
        carts.c.user_id,
        carts.c.updated_at,
        cart_items.c.product_id,
        cart_items.c.quantity,
        carts.c.shipping_address,
    )
    .select_from(carts.outerjoin(cart_items, cart_items.c.cart_id == carts.c.id))
    .where(carts.c.user_id == bindparam("user_id"))
    .order_by(cart_items.c.id)
)
_LINES = (
    select(cart_items.c.product_id, cart_items.c.quantity)
    .where(cart_items.c.cart_id == bindparam("cart_id"))
    .order_by(cart_items.c.id)
)


_LOCK_CART = (
    "INSERT INTO carts (user_id, updated_at) VALUES ($1, $2) "
    "ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id "
    "RETURNING id, user_id, updated_at, shipping_address"
)
_LINES_OF = "SELECT product_id, quantity FROM cart_items WHERE cart_id = $1 ORDER BY id"
_DROP_LINES_AND_TOUCH = (
    "WITH gone AS (DELETE FROM cart_items WHERE cart_id = $1 AND product_id = ANY($2::bigint[])) "
    "UPDATE carts SET updated_at = $3 WHERE id = $1"
)
_ADD_LINE = "INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ($1, $2, $3)"
_SET_LINE = "UPDATE cart_items SET quantity = $3 WHERE cart_id = $1 AND product_id = $2"
_TOUCH = "UPDATE carts SET updated_at = $2 WHERE id = $1"
_SET_ADDRESS = "UPDATE carts SET shipping_address = $2 WHERE id = $1"
_DELETE_CART = "DELETE FROM carts WHERE user_id = $1"
"""Its lines go with it: cart_items.cart_id is ON DELETE CASCADE."""


class SqlCartRepository:
    """On PostgreSQL locking, saving and deleting a cart are fixed SQL on the driver (`lean`)."""

    def __init__(self, conn: AsyncConnection, lean: DriverInTransaction | None = None) -> None:
        self._conn = conn
        self._lean = lean
        self._stored: dict[int, dict[int, int]] = {}
        """The lines of each cart as this transaction last read or wrote them (cart id → product
        id → quantity): what `save` compares with, instead of reading them again."""
        self._stored_addresses: dict[int, str | None] = {}
        """The shipping address of each cart as this transaction last read or wrote it."""

    async def get_for_user(self, user_id: int) -> Cart | None:
        rows = (await self._conn.execute(_CART_WITH_LINES, {"user_id": user_id})).all()
        if not rows:
            return None
        first = rows[0]
        lines = [(row.product_id, row.quantity) for row in rows if row.product_id is not None]
        return Cart(
            id=first.id,
            user_id=first.user_id,
            updated_at=first.updated_at,
            items={pid: CartItem(pid, quantity) for pid, quantity in lines},
            shipping_address=address_from_text(first.shipping_address),
        )

    async def get_for_update(self, user_id: int, now: datetime) -> Cart:
        """Lock-or-create in one statement: ON CONFLICT DO UPDATE locks the existing row (waiting
        for a concurrent holder, and inserting afresh if that one deleted it) and returns it.
        The lines are read by a second statement, whose snapshot is taken after the lock is held:
        in one statement they would be as of before the wait."""
        if self._lean is not None:
            found = await self._lean.fetchrow(_LOCK_CART, user_id, now)
            cart_id, owner, updated_at = found[0], found[1], utc(found[2])
            lines = [(r[0], r[1]) for r in await self._lean.fetch(_LINES_OF, cart_id)]
            self._stored[cart_id] = dict(lines)
            self._stored_addresses[cart_id] = found[3]
            return Cart(
                id=cart_id,
                user_id=owner,
                updated_at=updated_at,
                items={pid: CartItem(pid, quantity) for pid, quantity in lines},
                shipping_address=address_from_text(found[3]),
            )
        statement = insert(self._conn, carts).values(user_id=user_id, updated_at=now)
        row = (
            await self._conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[carts.c.user_id], set_={"user_id": statement.excluded.user_id}
                ).returning(carts.c.id, carts.c.user_id, carts.c.updated_at, carts.c.shipping_address)
            )
        ).one()
        lines = [tuple(line) for line in await self._conn.execute(_LINES, {"cart_id": row.id})]
        self._stored[row.id] = {pid: quantity for pid, quantity in lines}
        self._stored_addresses[row.id] = row.shipping_address
        return Cart(
            id=row.id,
            user_id=row.user_id,
            updated_at=row.updated_at,
            items={pid: CartItem(pid, quantity) for pid, quantity in lines},
            shipping_address=address_from_text(row.shipping_address),
        )

    async def save(self, cart: Cart) -> None:
        if cart.id is None or cart.id not in self._stored:
            raise ValueError("save a cart obtained from get_for_update")
        stored = self._stored[cart.id]
        gone = [pid for pid in stored if pid not in cart.items]
        await self._save_address(cart.id, address_to_text(cart.shipping_address))
        if self._lean is not None:
            await self._save_lean(self._lean, cart, stored, gone)
            return
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
        self._stored[cart.id] = {pid: item.quantity for pid, item in cart.items.items()}

    async def _save_lean(
        self, lean: DriverInTransaction, cart: Cart, stored: dict[int, int], gone: list[int]
    ) -> None:
        assert cart.id is not None
        for pid, item in cart.items.items():
            if pid not in stored:
                await lean.rowcount(_ADD_LINE, cart.id, pid, item.quantity)
            elif stored[pid] != item.quantity:
                await lean.rowcount(_SET_LINE, cart.id, pid, item.quantity)
        if gone:
            await lean.rowcount(_DROP_LINES_AND_TOUCH, cart.id, gone, cart.updated_at)
        else:
            await lean.rowcount(_TOUCH, cart.id, cart.updated_at)
        self._stored[cart.id] = {pid: item.quantity for pid, item in cart.items.items()}

    async def _save_address(self, cart_id: int, address: str | None) -> None:
        """Only when it changed: adding a book costs no statement more."""
        if self._stored_addresses.get(cart_id) == address:
            return
        if self._lean is not None:
            await self._lean.rowcount(_SET_ADDRESS, cart_id, address)
        else:
            await self._conn.execute(
                update(carts).where(carts.c.id == cart_id).values(shipping_address=address)
            )
        self._stored_addresses[cart_id] = address

    async def delete_for_user(self, user_id: int) -> None:
        if self._lean is not None:
            await self._lean.rowcount(_DELETE_CART, user_id)
            self._stored.clear()
            self._stored_addresses.clear()
            return
        cart_ids = select(carts.c.id).where(carts.c.user_id == user_id).scalar_subquery()
        await self._conn.execute(delete(cart_items).where(cart_items.c.cart_id == cart_ids))
        await self._conn.execute(delete(carts).where(carts.c.user_id == user_id))
        self._stored.clear()
        self._stored_addresses.clear()
