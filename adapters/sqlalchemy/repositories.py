"""The repository ports in SQLAlchemy Core. Rows are translated to domain entities here; the domain
never sees a row. Every rule that must hold under concurrency is one conditional statement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    Table,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import (
    cart_items,
    carts,
    idempotency_keys,
    order_items,
    orders,
    payment_events,
    products,
    refresh_tokens,
    users,
)
from application.errors import EmailTaken
from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord, IdempotencyState
from domain.cart import Cart, CartItem
from domain.catalog import Product, Series
from domain.identity import RefreshToken, Role, User
from domain.ordering import Order, OrderItem, OrderStatus
from domain.values import MAX_INT32


def _insert(conn: AsyncConnection, table: Table) -> Any:
    """INSERT with ON CONFLICT support, in the dialect of the connection."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        role=Role(row.role),
        is_active=row.is_active,
        session_version=row.session_version,
        created_at=row.created_at,
    )


def product_from_row(row: Row[Any]) -> Product:
    return Product(
        id=row.id,
        title=row.title,
        series=Series(row.series),
        author=row.author,
        price_cents=row.price_cents,
        stock=row.stock,
        is_active=row.is_active,
        created_at=row.created_at,
    )


def _refresh_token(row: Row[Any]) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: User) -> User:
        statement = (
            _insert(self._conn, users)
            .values(
                email=user.email,
                password_hash=user.password_hash,
                role=user.role.value,
                is_active=user.is_active,
                session_version=user.session_version,
                created_at=user.created_at,
            )
            .on_conflict_do_nothing(index_elements=[users.c.email])
            .returning(users.c.id)
        )
        user_id = (await self._conn.execute(statement)).scalar_one_or_none()
        if user_id is None:
            raise EmailTaken()
        user.id = user_id
        return user

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        return await self._one(select(users).where(users.c.id == user_id), for_update)

    async def get_by_email(self, email: str, *, for_update: bool = False) -> User | None:
        return await self._one(select(users).where(users.c.email == email), for_update)

    async def _one(self, query: Select[Any], for_update: bool) -> User | None:
        # On SQLite FOR UPDATE is dropped: there every writing transaction holds the database's
        # write lock from its start (BEGIN IMMEDIATE), which serializes them all the more.
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return user_from_row(row) if row else None

    async def update(self, user: User) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(
                role=user.role.value,
                is_active=user.is_active,
                password_hash=user.password_hash,
                session_version=user.session_version,
            )
        )


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token: RefreshToken) -> None:
        token.id = (
            await self._conn.execute(
                refresh_tokens.insert()
                .values(
                    user_id=token.user_id,
                    token_hash=token.token_hash,
                    issued_at=token.issued_at,
                    expires_at=token.expires_at,
                    revoked_at=token.revoked_at,
                )
                .returning(refresh_tokens.c.id)
            )
        ).scalar_one()

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
        ).first()
        return _refresh_token(row) if row else None

    async def consume(self, token_hash: str, now: datetime) -> bool:
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def revoke(self, token_hash: str, now: datetime) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all_for_user(self, user_id: int, now: datetime) -> int:
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.revoked_at.is_(None),
                refresh_tokens.c.expires_at > now,
            )
            .values(revoked_at=now)
        )
        return result.rowcount


class SqlProductRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, product: Product) -> Product:
        product.id = (
            await self._conn.execute(
                products.insert()
                .values(
                    title=product.title,
                    series=product.series.value,
                    author=product.author,
                    price_cents=product.price_cents,
                    stock=product.stock,
                    is_active=product.is_active,
                    created_at=product.created_at,
                )
                .returning(products.c.id)
            )
        ).scalar_one()
        return product

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        query = select(products).where(products.c.id == product_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return product_from_row(row) if row else None

    async def find(self, title: str, series: Series) -> Product | None:
        row = (
            await self._conn.execute(
                select(products)
                .where(products.c.title == title, products.c.series == series.value)
                .order_by(products.c.id)
                .limit(1)
            )
        ).first()
        return product_from_row(row) if row else None

    async def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        rows = await self._conn.execute(select(products).where(products.c.id.in_(ids)))
        return {row.id: product_from_row(row) for row in rows}

    async def update_details(self, product: Product) -> Product:
        row = (
            await self._conn.execute(
                update(products)
                .where(products.c.id == product.id)
                .values(
                    title=product.title,
                    series=product.series.value,
                    author=product.author,
                    price_cents=product.price_cents,
                    is_active=product.is_active,
                )
                .returning(*products.c)
            )
        ).one()
        return product_from_row(row)

    async def withdraw_stock(self, product_id: int, quantity: int) -> bool:
        result = await self._conn.execute(
            update(products)
            .where(products.c.id == product_id, products.c.is_active, products.c.stock >= quantity)
            .values(stock=products.c.stock - quantity)
        )
        return result.rowcount == 1

    async def return_stock(self, product_id: int, quantity: int) -> None:
        await self._conn.execute(
            update(products).where(products.c.id == product_id).values(stock=products.c.stock + quantity)
        )

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        return await self._set_stock_to(product_id, cast(products.c.stock, BigInteger) + delta)

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        return await self._set_stock_to(product_id, literal(stock, BigInteger))

    async def _set_stock_to(self, product_id: int, after: ColumnElement[int]) -> Product | None:
        """Staff's stock changes, one rule for both: the new stock is 0 to MAX_INT32, checked in the
        UPDATE itself, computed in 64 bits (a value past the int32 bounds is refused, not overflowed).
        The CASE keeps PostgreSQL from converting an out-of-range constant to the INTEGER column
        while it plans the statement, which fails even though no row is to be updated."""
        in_bounds = after.between(0, MAX_INT32)
        row = (
            await self._conn.execute(
                update(products)
                .where(products.c.id == product_id, in_bounds)
                .values(stock=case((in_bounds, after)))
                .returning(*products.c)
            )
        ).first()
        return product_from_row(row) if row else None


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
                _insert(self._conn, carts)
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


class SqlOrderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> Order:
        order.id = (
            await self._conn.execute(
                orders.insert()
                .values(
                    user_id=order.user_id,
                    status=order.status.value,
                    total_amount_cents=order.total_amount_cents,
                    currency=order.currency,
                    payment_intent_id=order.payment_intent_id,
                    refunded_cents=order.refunded_cents,
                    created_at=order.created_at,
                    updated_at=order.updated_at or order.created_at,
                )
                .returning(orders.c.id)
            )
        ).scalar_one()
        await self._conn.execute(
            order_items.insert(),
            [
                {
                    "order_id": order.id,
                    "product_id": item.product_id,
                    "title_snapshot": item.title_snapshot,
                    "price_snapshot": item.price_snapshot,
                    "quantity": item.quantity,
                }
                for item in order.items
            ],
        )
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        query = select(orders).where(orders.c.id == order_id)
        found = await self._load(query.with_for_update() if for_update else query)
        return found[0] if found else None

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        found = await self._load(
            select(orders).where(orders.c.payment_intent_id == payment_intent_id).with_for_update()
        )
        return found[0] if found else None

    async def count_pending(self, user_id: int) -> int:
        count = (
            select(func.count())
            .select_from(orders)
            .where(orders.c.user_id == user_id, orders.c.status == OrderStatus.PENDING.value)
        )
        return int((await self._conn.execute(count)).scalar_one())

    async def pending_before(self, cutoff: datetime, limit: int, after_id: int = 0) -> list[Order]:
        return await self._load(
            select(orders)
            .where(
                orders.c.status == OrderStatus.PENDING.value,
                orders.c.created_at < cutoff,
                orders.c.id > after_id,
            )
            .order_by(orders.c.id)
            .limit(limit)
        )

    async def _load(self, query: Select[Any]) -> list[Order]:
        return await load_orders(self._conn, (await self._conn.execute(query)).all())

    async def update_status(self, order: Order) -> None:
        await self._conn.execute(
            update(orders)
            .where(orders.c.id == order.id)
            .values(
                status=order.status.value,
                payment_intent_id=order.payment_intent_id,
                refunded_cents=order.refunded_cents,
                updated_at=order.updated_at,
            )
        )


async def load_orders(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[Order]:
    """Orders with their items, in two statements whatever the number of orders (no N+1)."""
    if not rows:
        return []
    lines: dict[int, list[Row[Any]]] = {row.id: [] for row in rows}
    for item in await conn.execute(
        select(order_items).where(order_items.c.order_id.in_(list(lines))).order_by(order_items.c.id)
    ):
        lines[item.order_id].append(item)
    return [order_from_rows(row, lines[row.id]) for row in rows]


def order_from_rows(row: Row[Any], items: Iterable[Row[Any]]) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        currency=row.currency,
        payment_intent_id=row.payment_intent_id,
        refunded_cents=row.refunded_cents,
        created_at=row.created_at,
        updated_at=row.updated_at,
        items=tuple(
            OrderItem(
                product_id=item.product_id,
                title_snapshot=item.title_snapshot,
                price_snapshot=item.price_snapshot,
                quantity=item.quantity,
            )
            for item in items
        ),
    )


class SqlIdempotencyKeyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, user_id: int, key: str, now: datetime) -> IdempotencyRecord | None:
        claimed = (
            await self._conn.execute(
                _insert(self._conn, idempotency_keys)
                .values(user_id=user_id, key=key, state=IdempotencyState.IN_PROGRESS.value, created_at=now)
                .on_conflict_do_nothing(index_elements=[idempotency_keys.c.user_id, idempotency_keys.c.key])
                .returning(idempotency_keys.c.id)
            )
        ).first()
        if claimed is not None:
            return None
        row = (await self._conn.execute(select(idempotency_keys).where(*self._of(user_id, key)))).one()
        return IdempotencyRecord(
            user_id=row.user_id,
            key=row.key,
            state=IdempotencyState(row.state),
            created_at=row.created_at,
            order_id=row.order_id,
            outcome=CheckoutOutcomeKind(row.outcome) if row.outcome else None,
            client_secret=row.client_secret,
        )

    async def take_over(self, user_id: int, key: str, stale_before: datetime, now: datetime) -> bool:
        result = await self._conn.execute(
            update(idempotency_keys)
            .where(
                *self._of(user_id, key),
                idempotency_keys.c.state == IdempotencyState.IN_PROGRESS.value,
                idempotency_keys.c.order_id.is_(None),
                idempotency_keys.c.created_at < stale_before,
            )
            .values(created_at=now)
        )
        return result.rowcount == 1

    async def attach_order(self, user_id: int, key: str, order_id: int) -> None:
        await self._conn.execute(
            update(idempotency_keys).where(*self._of(user_id, key)).values(order_id=order_id)
        )

    async def complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None:
        await self._conn.execute(
            update(idempotency_keys)
            .where(*self._of(user_id, key))
            .values(
                state=IdempotencyState.COMPLETED.value, outcome=outcome.value, client_secret=client_secret
            )
        )

    async def release(self, user_id: int, key: str) -> None:
        await self._conn.execute(delete(idempotency_keys).where(*self._of(user_id, key)))

    @staticmethod
    def _of(user_id: int, key: str) -> tuple[Any, Any]:
        return idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key


class SqlPaymentEventLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, event_id: str, now: datetime) -> bool:
        inserted = await self._conn.execute(
            _insert(self._conn, payment_events)
            .values(event_id=event_id, received_at=now)
            .on_conflict_do_nothing(index_elements=[payment_events.c.event_id])
            .returning(payment_events.c.event_id)
        )
        return inserted.first() is not None
