"""The bench's scratch catalogue and its people: who is seeded, with which ids, carts and tokens.

Ids are given in order in a fresh database (identities restart at 1):

    shoppers        1 .. S             carts of 3 hot books (GET /cart, POST /cart/add, logins)
    buyers          S+1 .. S+B         one hot book each, split into checkout streams of equal size
    fresh buyers    next F             empty carts: the freshness check's checkouts
    admin           last               role ADMIN: the freshness check's writes
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from adapters.sqlalchemy.engine import create_engine
from bench.scratch import run_outside_transaction
from domain.identity import Role, User
from tests.db.test_search_plan import SEED

PASSWORD = "bench password"
HOT_PRODUCTS = 20
HOT_STOCK = 1_000_000
SHOPPER_LINES = 3


@dataclass(frozen=True)
class Population:
    shoppers: int
    buyers_per_stream: int
    streams: int
    fresh_buyers: int

    @property
    def buyers(self) -> int:
        return self.buyers_per_stream * self.streams

    @property
    def admin_id(self) -> int:
        return self.shoppers + self.buyers + self.fresh_buyers + 1

    def stream(self, k: int) -> range:
        """The user ids of checkout stream k: each buyer checks out once."""
        first = self.shoppers + 1 + k * self.buyers_per_stream
        return range(first, first + self.buyers_per_stream)

    def fresh(self) -> range:
        first = self.shoppers + self.buyers + 1
        return range(first, first + self.fresh_buyers)


def active_ids(products: int) -> list[int]:
    """Every 20th product is withdrawn from sale by SEED; the hot ones are put back on sale."""
    return [n for n in range(1, products + 1) if n % 20 != 0 or n <= HOT_PRODUCTS]


def tokens(secret: str, population: Population) -> dict[int, str]:
    """An access token per user id, signed with the server's secret."""
    service = JwtTokenService(secret, access_token_ttl_seconds=7200)
    now = datetime.now(UTC)

    def issue(user_id: int, role: Role) -> str:
        user = User(id=user_id, email="x@y.zz", password_hash="", created_at=now, role=role)
        return service.issue_access_token(user, now)

    issued = {n: issue(n, Role.USER) for n in range(1, population.admin_id)}
    issued[population.admin_id] = issue(population.admin_id, Role.ADMIN)
    return issued


async def seed(url: str, *, products: int, population: Population) -> None:
    hasher = Argon2PasswordHasher()  # the production parameters: logins cost what they cost
    password_hash = await hasher.hash(PASSWORD)
    hasher.close()
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(SEED, {"size": products, "stock_floor": 10_000})
        await conn.execute(
            text("UPDATE products SET stock = :stock, is_active = true WHERE id <= :hot"),
            {"stock": HOT_STOCK, "hot": HOT_PRODUCTS},
        )
        await conn.execute(
            text(
                "INSERT INTO users (email, password_hash, role, is_active, created_at) "
                "SELECT 'bench' || (n - 1) || '@example.com', :hash, "
                "CASE WHEN n = :admin THEN 'ADMIN' ELSE 'USER' END, true, now() "
                "FROM generate_series(1, :admin) AS n"
            ),
            {"hash": password_hash, "admin": population.admin_id},
        )
        await conn.execute(
            text(
                "INSERT INTO carts (user_id, updated_at, shipping_address) SELECT id, now(), :ship FROM users"
            ),
            {"ship": BENCH_ADDRESS},
        )
        await conn.execute(
            text(
                "INSERT INTO cart_items (cart_id, product_id, quantity) "
                "SELECT c.id, 1 + (c.user_id % :hot), 1 FROM carts c "
                "WHERE c.user_id BETWEEN :first AND :last"
            ),
            {
                "hot": HOT_PRODUCTS,
                "first": population.shoppers + 1,
                "last": population.shoppers + population.buyers,
            },
        )
    await engine.dispose()
    await reset_shopper_carts(url, population)
    await run_outside_transaction(url, "VACUUM ANALYZE")


BENCH_ADDRESS = (
    '{"name": "Bench Buyer", "line1": "1 High Street", "line2": null, "city": "Oxford", '
    '"postal_code": "OX1 1AA", "country": "GB", "phone": null}'
)
"""Every seeded cart ships here (checkout refuses a cart without an address); the JSON the
`shipping_address` column holds (adapters.sqlalchemy.rows)."""


async def reset_shopper_carts(url: str, population: Population) -> None:
    """Each shopper's cart back to its 3 hot books, so that every server measured reads and adds to
    carts of the same size (POST /cart/add grows them)."""
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM cart_items USING carts "
                "WHERE cart_items.cart_id = carts.id AND carts.user_id <= :n"
            ),
            {"n": population.shoppers},
        )
        await conn.execute(
            text(
                "INSERT INTO cart_items (cart_id, product_id, quantity) "
                "SELECT c.id, 1 + (c.user_id + k) % :hot, 1 "
                "FROM carts c, generate_series(0, :lines - 1) AS k WHERE c.user_id <= :n"
            ),
            {"hot": HOT_PRODUCTS, "lines": SHOPPER_LINES, "n": population.shoppers},
        )
    await engine.dispose()


async def audit_hot_products(url: str) -> tuple[int, bool]:
    """PAID orders so far, and whether every hot book's stock plus what its non-failed orders hold
    is the stock it started with (no oversell, no lost sale)."""
    rows = await read(
        url,
        "SELECT p.id, p.stock, COALESCE(SUM(i.quantity) FILTER (WHERE o.status <> 'FAILED'), 0) "
        "FROM products p LEFT JOIN order_items i ON i.product_id = p.id "
        "LEFT JOIN orders o ON o.id = i.order_id WHERE p.id <= :hot GROUP BY p.id, p.stock",
        {"hot": HOT_PRODUCTS},
    )
    paid = (await read(url, "SELECT count(*) FROM orders WHERE status = 'PAID'", {}))[0][0]
    consistent = all(row[1] + row[2] == HOT_STOCK and row[1] >= 0 for row in rows)
    return int(paid), consistent


async def read(
    url: str, sql: str, parameters: Mapping[str, Any], *, tries: int = 20
) -> list[tuple[Any, ...]]:
    """One query on a connection of its own, tried again while PostgreSQL has no connection slot
    free: on a shared machine other programs may hold most of them, and the servers under load
    hold their pools."""
    for attempt in range(tries):
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in await conn.execute(text(sql), parameters)]
        except DBAPIError as error:
            if "too many clients" not in str(error) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.5)
        finally:
            await engine.dispose()
    raise AssertionError("unreachable")


async def free_connection_slots(url: str) -> int:
    """Connections PostgreSQL would still accept: max_connections less those open."""
    rows = await read(
        url, "SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)", {}
    )
    return int(rows[0][0])
