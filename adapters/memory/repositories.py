"""The repository ports over in-memory tables. Every read and write copies the entity, so a caller
that changes an entity without saving it changes nothing, exactly as with a database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from adapters.memory.store import MemoryStore, Tables
from application.errors import EmailTaken
from application.idempotency import CheckoutOutcomeKind, IdempotencyRecord, IdempotencyState
from domain.cart import Cart
from domain.catalog import Product, Series
from domain.errors import DomainError
from domain.identity import RefreshToken, User
from domain.ordering import Order, OrderStatus


def _copy_cart(cart: Cart) -> Cart:
    return replace(cart, items={pid: replace(item) for pid, item in cart.items.items()})


class MemoryUserRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._users = tables.users
        self._store = store

    async def add(self, user: User) -> User:
        if any(existing.email == user.email for existing in self._users.values()):
            raise EmailTaken()
        user.id = self._store.next_id("users")
        self._users[user.id] = replace(user)
        return user

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """for_update needs no lock here: a memory unit of work holds the whole store already."""
        user = self._users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str, *, for_update: bool = False) -> User | None:
        for user in self._users.values():
            if user.email == email:
                return replace(user)
        return None

    async def update(self, user: User) -> None:
        if user.id not in self._users:
            raise LookupError(f"user {user.id} is not stored")
        self._users[user.id] = replace(user)


class MemoryRefreshTokenRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._tokens = tables.refresh_tokens
        self._store = store

    async def add(self, token: RefreshToken) -> None:
        if token.token_hash in self._tokens:
            raise ValueError("duplicate refresh token hash")
        token.id = self._store.next_id("refresh_tokens")
        self._tokens[token.token_hash] = replace(token)

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        token = self._tokens.get(token_hash)
        return replace(token) if token else None

    async def consume(self, token_hash: str, now: datetime) -> bool:
        token = self._tokens.get(token_hash)
        if token is None or not token.is_live(now):
            return False
        self._tokens[token_hash] = replace(token, revoked_at=now)
        return True

    async def revoke(self, token_hash: str, now: datetime) -> None:
        token = self._tokens.get(token_hash)
        if token is not None and not token.is_revoked:
            self._tokens[token_hash] = replace(token, revoked_at=now)

    async def revoke_all_for_user(self, user_id: int, now: datetime) -> int:
        live = [t for t in self._tokens.values() if t.user_id == user_id and t.is_live(now)]
        for token in live:
            self._tokens[token.token_hash] = replace(token, revoked_at=now)
        return len(live)


class MemoryProductRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._products = tables.products
        self._store = store

    async def add(self, product: Product) -> Product:
        product.id = self._store.next_id("products")
        self._products[product.id] = replace(product)
        return product

    async def get(self, product_id: int, *, for_update: bool = False) -> Product | None:
        product = self._products.get(product_id)
        return replace(product) if product else None

    async def find(self, title: str, series: Series) -> Product | None:
        found = [p for p in self._products.values() if p.title == title and p.series is series]
        return replace(min(found, key=lambda p: p.id or 0)) if found else None

    async def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        return {pid: replace(self._products[pid]) for pid in set(product_ids) if pid in self._products}

    async def update_details(self, product: Product) -> Product:
        if product.id is None or product.id not in self._products:
            raise LookupError(f"product {product.id} is not stored")
        stored = self._products[product.id]
        self._products[product.id] = replace(product, stock=stored.stock)
        return replace(self._products[product.id])

    async def withdraw_stock(self, product_id: int, quantity: int) -> bool:
        return self._move(product_id, Product.withdraw, quantity) is not None

    async def return_stock(self, product_id: int, quantity: int) -> None:
        product = self._products.get(product_id)
        if product is not None:
            returned = replace(product)
            returned.replenish(quantity)
            self._products[product_id] = returned

    async def adjust_stock(self, product_id: int, delta: int) -> Product | None:
        return self._move(product_id, Product.adjust_stock, delta)

    async def set_stock(self, product_id: int, stock: int) -> Product | None:
        return self._move(product_id, Product.set_stock, stock)

    def _move(self, product_id: int, rule: Callable[[Product, int], None], amount: int) -> Product | None:
        """The stock rule itself (one of Product's stock methods) applied to the stored product, in one
        step (the unit of work holds the store): the product after the move, or None, and nothing
        changed, when the product is missing or the rule refuses."""
        stored = self._products.get(product_id)
        if stored is None:
            return None
        moved = replace(stored)
        try:
            rule(moved, amount)
        except DomainError:
            return None
        self._products[product_id] = moved
        return replace(moved)


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


class MemoryOrderRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._orders = tables.orders
        self._store = store

    async def add(self, order: Order) -> Order:
        order.id = self._store.next_id("orders")
        self._orders[order.id] = replace(order)
        return order

    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        order = self._orders.get(order_id)
        return replace(order) if order else None

    async def get_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        found = [o for o in self._orders.values() if o.payment_intent_id == payment_intent_id]
        return replace(found[0]) if found else None

    async def count_pending(self, user_id: int) -> int:
        pending = OrderStatus.PENDING
        return sum(1 for o in self._orders.values() if o.user_id == user_id and o.status is pending)

    async def pending_before(self, cutoff: datetime, limit: int, after_id: int = 0) -> list[Order]:
        pending = sorted(
            (
                o
                for o in self._orders.values()
                if o.status is OrderStatus.PENDING and o.created_at < cutoff and (o.id or 0) > after_id
            ),
            key=lambda o: o.id or 0,
        )
        return [replace(o) for o in pending[:limit]]

    async def update_status(self, order: Order) -> None:
        if order.id is None or order.id not in self._orders:
            raise LookupError(f"order {order.id} is not stored")
        stored = self._orders[order.id]
        self._orders[order.id] = replace(
            stored,
            status=order.status,
            payment_intent_id=order.payment_intent_id,
            refunded_cents=order.refunded_cents,
            updated_at=order.updated_at,
        )


class MemoryIdempotencyKeyRepository:
    def __init__(self, tables: Tables) -> None:
        self._records = tables.idempotency_keys

    async def claim(self, user_id: int, key: str, now: datetime) -> IdempotencyRecord | None:
        earlier = self._records.get((user_id, key))
        if earlier is not None:
            return replace(earlier)
        self._records[(user_id, key)] = IdempotencyRecord(
            user_id=user_id, key=key, state=IdempotencyState.IN_PROGRESS, created_at=now
        )
        return None

    async def take_over(self, user_id: int, key: str, stale_before: datetime, now: datetime) -> bool:
        record = self._records.get((user_id, key))
        if (
            record is None
            or record.state is not IdempotencyState.IN_PROGRESS
            or record.order_id is not None
            or record.created_at >= stale_before
        ):
            return False
        self._records[(user_id, key)] = replace(record, created_at=now)
        return True

    async def attach_order(self, user_id: int, key: str, order_id: int) -> None:
        self._records[(user_id, key)] = replace(self._records[(user_id, key)], order_id=order_id)

    async def complete(
        self, user_id: int, key: str, outcome: CheckoutOutcomeKind, client_secret: str | None
    ) -> None:
        self._records[(user_id, key)] = replace(
            self._records[(user_id, key)],
            state=IdempotencyState.COMPLETED,
            outcome=outcome,
            client_secret=client_secret,
        )

    async def release(self, user_id: int, key: str) -> None:
        self._records.pop((user_id, key), None)


class MemoryPaymentEventLog:
    def __init__(self, tables: Tables) -> None:
        self._events = tables.payment_events

    async def record(self, event_id: str, now: datetime) -> bool:
        if event_id in self._events:
            return False
        self._events[event_id] = now
        return True
