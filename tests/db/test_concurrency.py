"""Races that real clients run: the rules hold when many transactions hit the same rows at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork
from application.catalog import ChangeStock
from application.errors import EmailTaken, InvalidRefreshToken
from application.own_account import LogIn, RefreshSession, SessionIssuer, SignUp, TokenPair
from application.ports import UnitOfWork
from domain.catalog import Product, Series
from domain.errors import InsufficientStock
from domain.identity import User
from tests.conftest import TEST_JWT_SECRET
from tests.fakes import FrozenClock
from tests.unit.builders import UNCAPPED

RACERS = 20
CROWD = 50


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=CROWD)
    yield engine
    await engine.dispose()


def _uow(engine: AsyncEngine) -> UnitOfWork:
    return SqlUnitOfWork(engine)


REUSE_GRACE = timedelta(seconds=10)


async def test_concurrent_refreshes_of_one_token_yield_exactly_one_new_pair(engine: AsyncEngine) -> None:
    """Two tabs (here twenty) refresh with one token at once: one new pair, the others refused, and
    — the losers being no thieves — the winner's new pair still valid. On PostgreSQL a loser's
    UPDATE waits for the winner's commit and finds the token revoked only then."""
    clock = FrozenClock()
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    tokens = JwtTokenService(TEST_JWT_SECRET, access_token_ttl_seconds=900)
    sessions = SessionIssuer(tokens, clock, timedelta(days=1))
    await SignUp(lambda: _uow(engine), hasher, clock)("ann@example.com", "correct horse")
    pair = await LogIn(lambda: _uow(engine), hasher, sessions)("ann@example.com", "correct horse")
    refresh = RefreshSession(lambda: _uow(engine), tokens, sessions, clock, reuse_grace=REUSE_GRACE)

    results = await asyncio.gather(
        *(refresh(pair.refresh_token) for _ in range(RACERS)), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, TokenPair)]
    losers = [r for r in results if not isinstance(r, TokenPair)]
    assert len(winners) == 1
    assert all(isinstance(error, InvalidRefreshToken) for error in losers)
    assert await refresh(winners[0].refresh_token)
    hasher.close()


async def test_reuse_past_the_grace_period_still_revokes_the_family(engine: AsyncEngine) -> None:
    clock = FrozenClock()
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    tokens = JwtTokenService(TEST_JWT_SECRET, access_token_ttl_seconds=900)
    sessions = SessionIssuer(tokens, clock, timedelta(days=1))
    await SignUp(lambda: _uow(engine), hasher, clock)("ann@example.com", "correct horse")
    stolen = await LogIn(lambda: _uow(engine), hasher, sessions)("ann@example.com", "correct horse")
    refresh = RefreshSession(lambda: _uow(engine), tokens, sessions, clock, reuse_grace=REUSE_GRACE)
    rotated = await refresh(stolen.refresh_token)
    clock.advance(REUSE_GRACE.total_seconds())

    results = await asyncio.gather(
        *(refresh(stolen.refresh_token) for _ in range(RACERS)), return_exceptions=True
    )

    assert all(isinstance(result, InvalidRefreshToken) for result in results)
    with pytest.raises(InvalidRefreshToken):
        await refresh(rotated.refresh_token)
    hasher.close()


async def test_concurrent_signups_with_one_email_make_one_account(engine: AsyncEngine) -> None:
    clock = FrozenClock()
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    sign_up = SignUp(lambda: _uow(engine), hasher, clock)

    results = await asyncio.gather(
        *(sign_up(f"Ann@Example.com{' ' * n}", "correct horse") for n in range(RACERS)),
        return_exceptions=True,
    )

    accounts = [r for r in results if isinstance(r, User)]
    assert len(accounts) == 1
    assert all(isinstance(r, EmailTaken) for r in results if not isinstance(r, User))
    hasher.close()


async def test_concurrent_withdrawals_sell_exactly_the_stock(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    async with _uow(engine) as tx:
        product = await tx.products.add(
            Product(
                title="The Horse and His Boy",
                series=Series.NARNIA,
                author="C. S. Lewis",
                price_cents=799,
                stock=5,
                created_at=now,
            )
        )
        await tx.commit()
    assert product.id is not None
    product_id = product.id

    async def buy_one() -> bool:
        async with _uow(engine) as tx:
            sold = await tx.products.withdraw_stock(product_id, 1)
            await tx.commit()
            return sold

    sold = await asyncio.gather(*(buy_one() for _ in range(RACERS)))

    assert sold.count(True) == 5
    async with _uow(engine) as tx:
        after = await tx.products.get(product_id)
    assert after is not None
    assert after.stock == 0


async def test_concurrent_adds_to_one_cart_lose_no_update(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    async with _uow(engine) as tx:
        user = await tx.users.add(User.register("ann@example.com", "hash", now))
        product = await tx.products.add(
            Product(
                title="The Magician's Nephew",
                series=Series.NARNIA,
                author="C. S. Lewis",
                price_cents=699,
                stock=100,
                created_at=now,
            )
        )
        await tx.commit()
    assert user.id is not None
    assert product.id is not None
    user_id, product_id = user.id, product.id

    async def add_one() -> None:
        async with _uow(engine) as tx:
            cart = await tx.carts.get_for_update(user_id, now)
            book = await tx.products.get(product_id)
            assert book is not None
            cart.add(book, 1, now, UNCAPPED)
            await tx.carts.save(cart)
            await tx.commit()

    await asyncio.gather(*(add_one() for _ in range(RACERS)))

    async with _uow(engine) as tx:
        cart = await tx.carts.get_for_user(user_id)
    assert cart is not None
    assert cart.quantity_of(product_id) == RACERS


async def _stocked_book(engine: AsyncEngine, stock: int) -> int:
    async with _uow(engine) as tx:
        product = await tx.products.add(
            Product(
                title="The Voyage of the Dawn Treader",
                series=Series.NARNIA,
                author="C. S. Lewis",
                price_cents=799,
                stock=stock,
                created_at=datetime.now(UTC),
            )
        )
        await tx.commit()
    assert product.id is not None
    return product.id


async def test_fifty_concurrent_deliveries_all_count(engine: AsyncEngine) -> None:
    product_id = await _stocked_book(engine, stock=7)
    change = ChangeStock(lambda: _uow(engine))

    await asyncio.gather(*(change(product_id, delta=+1) for _ in range(50)))

    async with _uow(engine) as tx:
        after = await tx.products.get(product_id)
    assert after is not None
    assert after.stock == 57


async def test_concurrent_removals_stop_exactly_at_zero(engine: AsyncEngine) -> None:
    product_id = await _stocked_book(engine, stock=10)
    change = ChangeStock(lambda: _uow(engine))

    results = await asyncio.gather(*(change(product_id, delta=-1) for _ in range(25)), return_exceptions=True)

    assert sum(isinstance(r, Product) for r in results) == 10
    assert all(isinstance(r, InsufficientStock) for r in results if not isinstance(r, Product))
    async with _uow(engine) as tx:
        after = await tx.products.get(product_id)
    assert after is not None
    assert after.stock == 0
