"""Random shopping days against the in-memory adapters: whatever customers, the payment provider and
the back office do, in any order, money and stock never go wrong.

Invariants after every step:
- stock is never negative;
- for every book, stock on the shelf + units in PENDING or PAID orders = what was ever delivered;
- every order's total is the sum of its snapshots;
- an order only moves PENDING → PAID or PENDING → FAILED, and a final status never changes;
- money is only ever given back for a FAILED order, in full, and exactly once per payment intent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.payments.builtin_provider import BuiltInTestPaymentProvider
from application.catalog import ChangeStock, ProductChanges, UpdateProduct
from application.errors import ApplicationError, PaymentDeclined
from application.ports import PaymentEvent, PaymentEventKind, UnitOfWork
from domain.errors import DomainError
from domain.ordering import OrderStatus
from tests.fakes import FrozenClock
from tests.use_cases.conftest import TIME_TO_PAY, Shop, make_shop

USERS = 3
BOOKS = 3
METHODS = ["pm_card_visa", "pm_card_visa_chargeDeclined", "pm_card_authenticationRequired", None]


class ShoppingDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        store = MemoryStore()

        def uow() -> UnitOfWork:
            return MemoryUnitOfWork(store)

        self.store = store
        self.shop: Shop = make_shop(uow, BuiltInTestPaymentProvider(), FrozenClock())
        self.users: list[int] = []
        self.books: list[int] = []
        self.delivered: dict[int, int] = {}
        self.seen_status: dict[int, OrderStatus] = {}
        self.events = 0

    def run(self, coroutine: object) -> object:
        return self.loop.run_until_complete(coroutine)  # type: ignore[arg-type]

    def teardown(self) -> None:
        self.loop.close()

    @initialize(stocks=st.lists(st.integers(0, 6), min_size=BOOKS, max_size=BOOKS))
    def open_the_shop(self, stocks: list[int]) -> None:
        for n in range(USERS):
            self.users.append(self.run(self.shop.customer(f"u{n}@example.com")))  # type: ignore[arg-type]
        for n, stock in enumerate(stocks):
            product_id = self.run(self.shop.book(f"Book {n}", price_cents=100 * (n + 1), stock=stock))
            self.books.append(product_id)  # type: ignore[arg-type]
            self.delivered[product_id] = stock  # type: ignore[index]

    def attempt(self, coroutine: object) -> None:
        """Refusals are part of a shopping day; anything else is a bug."""
        with contextlib.suppress(DomainError, ApplicationError):
            self.run(coroutine)

    @rule(user=st.integers(0, USERS - 1), book=st.integers(0, BOOKS - 1), quantity=st.integers(1, 4))
    def add_to_cart(self, user: int, book: int, quantity: int) -> None:
        self.attempt(self.shop.add_to_cart(self.users[user], self.books[book], quantity))

    @rule(
        user=st.integers(0, USERS - 1),
        book=st.integers(0, BOOKS - 1),
        quantity=st.none() | st.integers(1, 4),
    )
    def remove_from_cart(self, user: int, book: int, quantity: int | None) -> None:
        self.attempt(self.shop.remove_from_cart(self.users[user], self.books[book], quantity))

    @rule(
        user=st.integers(0, USERS - 1), method=st.sampled_from(METHODS), key=st.none() | st.sampled_from("ab")
    )
    def checkout(self, user: int, method: str | None, key: str | None) -> None:
        declined_order = None
        try:
            self.run(self.shop.checkout(self.users[user], method, key))
        except PaymentDeclined as declined:
            declined_order = declined.order_id
        except (DomainError, ApplicationError):
            return
        if declined_order is not None:
            assert self.status_of(declined_order) is OrderStatus.FAILED

    @precondition(lambda self: self.store.committed.orders)
    @rule(data=st.data(), succeeded=st.booleans(), redeliver=st.booleans(), exact=st.booleans())
    def payment_event(self, data: st.DataObject, succeeded: bool, redeliver: bool, exact: bool) -> None:
        """Events for any order, late ones for settled orders included, sometimes redelivered,
        sometimes for another amount than the order's total."""
        order_id = data.draw(st.sampled_from(sorted(self.store.committed.orders)))
        order = self.store.committed.orders[order_id]
        if not redeliver or self.events == 0:
            self.events += 1
        kind = PaymentEventKind.SUCCEEDED if succeeded else PaymentEventKind.FAILED
        event = PaymentEvent(
            event_id=f"evt_{self.events}",
            kind=kind,
            order_id=order_id,
            payment_intent_id=order.payment_intent_id,
            amount_cents=order.total_amount_cents if exact else order.total_amount_cents - 1,
            currency="usd",
        )
        self.run(self.shop.settle(event))

    @rule(share=st.floats(0.05, 1.5))
    def time_passes_and_expiry_runs(self, share: float) -> None:
        """Up to one and a half times the time to pay: some orders expire, some do not yet."""
        self.shop.clock.advance(share * TIME_TO_PAY.total_seconds())
        self.run(self.shop.expire())

    @rule(book=st.integers(0, BOOKS - 1), active=st.booleans())
    def staff_withdraw_or_restore(self, book: int, active: bool) -> None:
        self.run(UpdateProduct(self.shop.uow)(self.books[book], ProductChanges(is_active=active)))

    @rule(book=st.integers(0, BOOKS - 1), delta=st.integers(-3, 5))
    def staff_count_the_shelf(self, book: int, delta: int) -> None:
        try:
            self.run(ChangeStock(self.shop.uow)(self.books[book], delta=delta))
        except DomainError:
            return
        self.delivered[self.books[book]] += delta

    def status_of(self, order_id: int) -> OrderStatus:
        return self.store.committed.orders[order_id].status

    @invariant()
    def stock_is_never_negative(self) -> None:
        assert all(product.stock >= 0 for product in self.store.committed.products.values())

    @invariant()
    def every_unit_is_on_the_shelf_or_in_an_open_or_paid_order(self) -> None:
        taken: dict[int, int] = defaultdict(int)
        for order in self.store.committed.orders.values():
            if order.status is not OrderStatus.FAILED:
                for item in order.items:
                    taken[item.product_id or 0] += item.quantity
        for product_id, delivered in self.delivered.items():
            assert self.store.committed.products[product_id].stock + taken[product_id] == delivered

    @invariant()
    def totals_are_the_sum_of_the_snapshots(self) -> None:
        for order in self.store.committed.orders.values():
            assert order.total_amount_cents == sum(i.price_snapshot * i.quantity for i in order.items)
            assert order.total_amount_cents > 0

    @invariant()
    def only_failed_orders_are_refunded_in_full_once(self) -> None:
        assert isinstance(self.shop.provider, BuiltInTestPaymentProvider)
        refunds: dict[str, int] = defaultdict(int)
        for refund in self.shop.provider.refunds:
            refunds[refund.payment_intent_id] += 1
        for order in self.store.committed.orders.values():
            refunded = refunds.pop(order.payment_intent_id or "", 0)
            assert refunded <= 1, order
            if order.refunded_cents:
                assert (order.status, order.refunded_cents, refunded) == (
                    OrderStatus.FAILED,
                    order.total_amount_cents,
                    1,
                ), order
            else:
                assert refunded == 0, order
        assert refunds == {}

    @invariant()
    def orders_only_move_from_pending_to_a_final_status(self) -> None:
        for order_id, order in self.store.committed.orders.items():
            before = self.seen_status.get(order_id, OrderStatus.PENDING)
            assert before is OrderStatus.PENDING or order.status is before, (order_id, before, order.status)
            self.seen_status[order_id] = order.status


ShoppingDay.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestShoppingDay = ShoppingDay.TestCase
