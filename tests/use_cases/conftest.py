from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.jwt_tokens import JwtTokenService
from application.cart import AddToCart, CartView, RemoveFromCart, SetShippingAddress, ViewCart
from application.checkout import Checkout
from application.expire_pending_orders import ExpirePendingOrders
from application.idempotent_checkout import IdempotentCheckout
from application.own_account import (
    Authenticate,
    LogIn,
    LogOut,
    RefreshSession,
    SessionIssuer,
    SignUp,
)
from application.ports import PaymentProvider, UnitOfWorkFactory
from application.settle_payment import SettlePayment
from application.staff_accounts import CreateAdmin
from domain.catalog import Product, Series
from domain.identity import User
from domain.limits import PurchaseLimits
from domain.ordering import Order
from domain.shipping import ShippingRates
from tests.conftest import TEST_JWT_SECRET, Backend
from tests.fakes import FrozenClock, RecordingHasher
from tests.unit.builders import ADDRESS, FREE_SHIPPING, LIMITS

REFRESH_TTL = timedelta(days=14)
REUSE_GRACE = timedelta(seconds=10)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def hasher() -> Iterator[RecordingHasher]:
    inner = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield RecordingHasher(inner)
    inner.close()


@pytest.fixture
def tokens() -> JwtTokenService:
    return JwtTokenService(TEST_JWT_SECRET, access_token_ttl_seconds=900)


@dataclass(frozen=True)
class Identity:
    sign_up: SignUp
    log_in: LogIn
    refresh: RefreshSession
    log_out: LogOut
    authenticate: Authenticate
    create_admin: CreateAdmin


@pytest.fixture
def identity(
    backend: Backend, hasher: RecordingHasher, tokens: JwtTokenService, clock: FrozenClock
) -> Identity:
    uow = backend.uow
    sessions = SessionIssuer(tokens, clock, REFRESH_TTL)
    return Identity(
        sign_up=SignUp(uow, hasher, clock),
        log_in=LogIn(uow, hasher, sessions),
        refresh=RefreshSession(uow, tokens, sessions, clock, reuse_grace=REUSE_GRACE),
        log_out=LogOut(uow, tokens, clock),
        authenticate=Authenticate(backend.users, tokens),
        create_admin=CreateAdmin(uow, hasher, clock),
    )


async def edit_user(uow: UnitOfWorkFactory, user_id: int | None, change: Callable[[User], None]) -> None:
    """Change a stored user behind the use cases' back (what an admin or the CLI would do)."""
    async with uow() as tx:
        stored = await tx.users.get(user_id or 0)
        assert stored is not None
        change(stored)
        await tx.users.update(stored)
        await tx.commit()


def deactivate(user: User) -> None:
    user.is_active = False


class AddToCartShippingHome:
    """AddToCart, then the customer's address when their cart has none yet: tests about something
    other than shipping check out as before it existed (the shipping tests call the use cases)."""

    def __init__(self, add_to_cart: AddToCart, set_address: SetShippingAddress) -> None:
        self._add_to_cart = add_to_cart
        self._set_address = set_address

    async def __call__(self, user_id: int, product_id: int, quantity: int = 1) -> CartView:
        view = await self._add_to_cart(user_id, product_id, quantity)
        if view.shipping_address is not None:
            return view
        return await self._set_address(user_id, ADDRESS)


@dataclass(frozen=True)
class Shop:
    """The buying use cases over one store, with a customer and a few books on the shelf."""

    uow: UnitOfWorkFactory
    clock: FrozenClock
    provider: PaymentProvider
    view_cart: ViewCart
    add_to_cart: AddToCartShippingHome
    remove_from_cart: RemoveFromCart
    checkout: IdempotentCheckout
    settle: SettlePayment
    expire: ExpirePendingOrders
    set_shipping_address: SetShippingAddress
    add_books_only: AddToCart
    """AddToCart itself, which leaves the cart without an address."""

    async def customer(self, email: str = "ann@example.com") -> int:
        async with self.uow() as tx:
            user = await tx.users.add(User.register(email, "hash", self.clock.now()))
            await tx.commit()
        assert user.id is not None
        return user.id

    async def book(self, title: str, *, price_cents: int = 899, stock: int = 5) -> int:
        async with self.uow() as tx:
            product = await tx.products.add(
                Product(
                    title=title,
                    series=Series.NARNIA,
                    author="C. S. Lewis",
                    price_cents=price_cents,
                    stock=stock,
                    created_at=self.clock.now(),
                )
            )
            await tx.commit()
        assert product.id is not None
        return product.id

    async def stock_of(self, product_id: int) -> int:
        async with self.uow() as tx:
            product = await tx.products.get(product_id)
        assert product is not None
        return product.stock

    async def order(self, order_id: int) -> Order:
        async with self.uow() as tx:
            order = await tx.orders.get(order_id)
        assert order is not None
        return order

    async def orders_of(self, user_id: int) -> list[Order]:
        async with self.uow() as tx:
            orders = [await tx.orders.get(n) for n in range(1, 50)]
        return [o for o in orders if o is not None and o.user_id == user_id]


TIME_TO_PAY = timedelta(minutes=30)


def make_shop(
    uow: UnitOfWorkFactory,
    provider: PaymentProvider,
    clock: FrozenClock,
    limits: PurchaseLimits = LIMITS,
    shipping: ShippingRates = FREE_SHIPPING,
) -> Shop:
    add_to_cart = AddToCart(uow, clock, limits, shipping)
    set_shipping_address = SetShippingAddress(uow, clock, shipping)
    return Shop(
        uow=uow,
        clock=clock,
        provider=provider,
        view_cart=ViewCart(uow, shipping),
        add_to_cart=AddToCartShippingHome(add_to_cart, set_shipping_address),
        remove_from_cart=RemoveFromCart(uow, clock, shipping),
        checkout=IdempotentCheckout(
            Checkout(uow, provider, clock, "usd", limits, shipping=shipping), uow, clock
        ),
        settle=SettlePayment(uow, provider, clock),
        expire=ExpirePendingOrders(uow, provider, clock, TIME_TO_PAY),
        set_shipping_address=set_shipping_address,
        add_books_only=add_to_cart,
    )


@pytest.fixture
def shop(uow: UnitOfWorkFactory, clock: FrozenClock) -> Shop:
    return make_shop(uow, BuiltInTestPaymentProvider(), clock)
