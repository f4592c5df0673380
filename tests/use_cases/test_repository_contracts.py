"""The promises written in application/ports.py, checked on every adapter. A new store plugs in
only when all of these pass against it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from application.errors import EmailTaken
from application.idempotency import CheckoutOutcomeKind, IdempotencyState
from application.ports import UnitOfWorkFactory
from domain.catalog import Product, Series
from domain.errors import DomainError
from domain.identity import RefreshToken, User
from domain.ordering import FailureReason, Order, OrderItem, OrderStatus
from domain.values import MAX_INT32
from tests.unit.builders import LIMITS

NOW = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)


def _book(title: str = "The Silver Chair", stock: int = 5, price: int = 899) -> Product:
    return Product(
        title=title,
        series=Series.NARNIA,
        author="C. S. Lewis",
        price_cents=price,
        stock=stock,
        created_at=NOW,
    )


async def _stored_book(uow: UnitOfWorkFactory, **fields: object) -> int:
    async with uow() as tx:
        product = await tx.products.add(_book(**fields))  # type: ignore[arg-type]
        await tx.commit()
    assert product.id is not None
    return product.id


async def _stored_user(uow: UnitOfWorkFactory, email: str = "ann@example.com") -> int:
    async with uow() as tx:
        user = await tx.users.add(User.register(email, "hash", NOW))
        await tx.commit()
    assert user.id is not None
    return user.id


async def test_leaving_without_commit_rolls_every_write_back(uow: UnitOfWorkFactory) -> None:
    async def failing_use_case() -> None:
        async with uow() as tx:
            await tx.users.add(User.register("ann@example.com", "hash", NOW))
            await tx.products.add(_book())
            raise RuntimeError("the use case failed half-way")

    with pytest.raises(RuntimeError):
        await failing_use_case()

    async with uow() as tx:
        assert await tx.users.get_by_email("ann@example.com") is None
        assert await tx.products.get_many([1, 2, 3]) == {}


async def test_writes_after_a_commit_need_their_own_commit(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        await tx.users.add(User.register("ann@example.com", "hash", NOW))
        await tx.commit()
        await tx.users.add(User.register("bob@example.com", "hash", NOW))

    async with uow() as tx:
        assert await tx.users.get_by_email("ann@example.com") is not None
        assert await tx.users.get_by_email("bob@example.com") is None


async def test_an_entity_changed_but_not_saved_is_not_changed(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=5)
    async with uow() as tx:
        product = await tx.products.get(product_id)
        assert product is not None
        product.set_stock(0)
        product.deactivate()
        await tx.commit()

    async with uow() as tx:
        again = await tx.products.get(product_id)
    assert again is not None
    assert again.stock == 5
    assert again.is_active


async def test_a_duplicate_email_is_refused_by_the_store(uow: UnitOfWorkFactory) -> None:
    await _stored_user(uow, "ann@example.com")

    with pytest.raises(EmailTaken):
        async with uow() as tx:
            await tx.users.add(User.register("ann@example.com", "other", NOW))


async def test_a_user_is_written_back_whole_and_read_alike_with_or_without_a_lock(
    uow: UnitOfWorkFactory,
) -> None:
    user_id = await _stored_user(uow)
    async with uow() as tx:
        user = await tx.users.get(user_id, for_update=True)
        assert user is not None
        assert user.session_version == 0
        user.promote_to_admin()
        user.set_password_hash("another hash")
        await tx.users.update(user)
        await tx.commit()

    async with uow() as tx:
        by_id = await tx.users.get(user_id)
        locked = await tx.users.get(user_id, for_update=True)
        by_email = await tx.users.get_by_email("ann@example.com", for_update=True)
    for stored in (by_id, locked, by_email):
        assert stored is not None
        assert (stored.role, stored.is_active, stored.password_hash) == ("ADMIN", True, "another hash")
        assert stored.session_version == 2


async def test_a_refresh_token_is_consumed_once(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    async with uow() as tx:
        await tx.refresh_tokens.add(RefreshToken.issue(user_id, "h" * 64, NOW, timedelta(days=1)))
        await tx.commit()

    async with uow() as tx:
        assert await tx.refresh_tokens.consume("h" * 64, NOW)
        assert not await tx.refresh_tokens.consume("h" * 64, NOW)
        await tx.commit()
    async with uow() as tx:
        stored = await tx.refresh_tokens.get_by_hash("h" * 64)
    assert stored is not None
    assert stored.revoked_at == NOW


async def test_an_expired_refresh_token_cannot_be_consumed(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    async with uow() as tx:
        await tx.refresh_tokens.add(RefreshToken.issue(user_id, "e" * 64, NOW, timedelta(seconds=60)))
        await tx.commit()

    async with uow() as tx:
        assert not await tx.refresh_tokens.consume("e" * 64, NOW + timedelta(seconds=60))


async def test_revoke_all_touches_only_that_users_live_tokens(uow: UnitOfWorkFactory) -> None:
    ann = await _stored_user(uow, "ann@example.com")
    bob = await _stored_user(uow, "bob@example.com")
    async with uow() as tx:
        for n, user_id in enumerate((ann, ann, bob)):
            await tx.refresh_tokens.add(RefreshToken.issue(user_id, f"{n}" * 64, NOW, timedelta(days=1)))
        await tx.commit()

    async with uow() as tx:
        assert await tx.refresh_tokens.revoke_all_for_user(ann, NOW) == 2
        await tx.commit()
    async with uow() as tx:
        bobs = await tx.refresh_tokens.get_by_hash("2" * 64)
    assert bobs is not None
    assert not bobs.is_revoked


async def test_withdraw_stock_never_oversells(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=3)

    async with uow() as tx:
        assert not await tx.products.withdraw_stock(product_id, 4)
        assert await tx.products.withdraw_stock(product_id, 2)
        assert await tx.products.withdraw_stock(product_id, 1)
        assert not await tx.products.withdraw_stock(product_id, 1)
        await tx.commit()
    async with uow() as tx:
        product = await tx.products.get(product_id)
    assert product is not None
    assert product.stock == 0


async def test_withdraw_stock_refuses_a_product_no_longer_sold(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=3)
    async with uow() as tx:
        product = await tx.products.get(product_id)
        assert product is not None
        product.deactivate()
        await tx.products.update_details(product)
        await tx.commit()

    async with uow() as tx:
        assert not await tx.products.withdraw_stock(product_id, 1)


async def test_adjust_stock_moves_both_ways_but_never_below_zero(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=2)

    async with uow() as tx:
        raised = await tx.products.adjust_stock(product_id, 3)
        refused = await tx.products.adjust_stock(product_id, -6)
        lowered = await tx.products.adjust_stock(product_id, -5)
        missing = await tx.products.adjust_stock(product_id + 1000, 1)
        await tx.commit()

    assert raised is not None
    assert raised.stock == 5
    assert refused is None
    assert lowered is not None
    assert lowered.stock == 0
    assert missing is None


STOCK_MOVES = [
    # (stock, on sale, the rule, the store's copy of it, amount)
    (3, True, Product.withdraw, "withdraw_stock", 2),
    (3, True, Product.withdraw, "withdraw_stock", 3),
    (3, True, Product.withdraw, "withdraw_stock", 4),
    (3, False, Product.withdraw, "withdraw_stock", 1),
    (3, True, Product.adjust_stock, "adjust_stock", 5),
    (3, True, Product.adjust_stock, "adjust_stock", -3),
    (3, True, Product.adjust_stock, "adjust_stock", -4),
    (3, False, Product.adjust_stock, "adjust_stock", -1),
    (MAX_INT32 - 1, True, Product.adjust_stock, "adjust_stock", 1),
    (MAX_INT32 - 1, True, Product.adjust_stock, "adjust_stock", 2),
    (3, True, Product.adjust_stock, "adjust_stock", -MAX_INT32),
    (3, True, Product.set_stock, "set_stock", 0),
    (3, False, Product.set_stock, "set_stock", 7),
    (3, True, Product.set_stock, "set_stock", MAX_INT32),
    (3, True, Product.set_stock, "set_stock", -1),
    (3, True, Product.set_stock, "set_stock", MAX_INT32 + 1),
]


@pytest.mark.parametrize("move", STOCK_MOVES, ids=lambda move: f"{move[3]}({move[4]}) on {move[0]}")
async def test_the_store_moves_stock_exactly_as_the_domain_rule_says(
    uow: UnitOfWorkFactory, move: tuple[int, bool, Callable[[Product, int], None], str, int]
) -> None:
    """The store's conditional statements are a copy of Product's stock rule: they refuse what it
    refuses, and leave the stock it would."""
    stock, on_sale, rule, store, amount = move
    product_id = await _stored_book(uow, stock=stock)
    async with uow() as tx:
        product = await tx.products.get(product_id)
        assert product is not None
        if not on_sale:
            product.deactivate()
            await tx.products.update_details(product)
        stored = await getattr(tx.products, store)(product_id, amount)
        await tx.commit()
    try:
        rule(product, amount)
    except DomainError:
        allowed = False
    else:
        allowed = True

    async with uow() as tx:
        after = await tx.products.get(product_id)
    assert after is not None
    assert bool(stored) is allowed
    assert after.stock == (product.stock if allowed else stock)


async def test_update_details_never_writes_stock(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=5)
    async with uow() as tx:
        stale = await tx.products.get(product_id)
    async with uow() as tx:
        await tx.products.adjust_stock(product_id, 10)
        await tx.commit()

    assert stale is not None
    stale.revise(title="The Silver Chair (hardback)", price_cents=1299)
    async with uow() as tx:
        await tx.products.update_details(stale)
        await tx.commit()

    async with uow() as tx:
        product = await tx.products.get(product_id)
    assert product is not None
    assert (product.title, product.price_cents, product.stock) == ("The Silver Chair (hardback)", 1299, 15)


async def test_return_stock_puts_units_back(uow: UnitOfWorkFactory) -> None:
    product_id = await _stored_book(uow, stock=1)
    async with uow() as tx:
        await tx.products.return_stock(product_id, 4)
        await tx.commit()
    async with uow() as tx:
        product = await tx.products.get(product_id)
    assert product is not None
    assert product.stock == 5


async def test_a_cart_is_created_once_and_saved_line_by_line(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    first = await _stored_book(uow, title="Prince Caspian", stock=9)
    second = await _stored_book(uow, title="The Last Battle", stock=9)

    async with uow() as tx:
        assert await tx.carts.get_for_user(user_id) is None
        cart = await tx.carts.get_for_update(user_id, NOW)
        products = await tx.products.get_many([first, second])
        cart.add(products[first], 2, NOW, LIMITS)
        cart.add(products[second], 1, NOW, LIMITS)
        await tx.carts.save(cart)
        await tx.commit()

    async with uow() as tx:
        cart = await tx.carts.get_for_update(user_id, NOW)
        cart.remove(first, 1, NOW)
        cart.remove(second, None, NOW)
        await tx.carts.save(cart)
        await tx.commit()

    async with uow() as tx:
        stored = await tx.carts.get_for_user(user_id)
    assert stored is not None
    assert stored.id == cart.id
    assert {pid: item.quantity for pid, item in stored.items.items()} == {first: 1}


async def test_deleting_a_cart_removes_its_lines(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    product_id = await _stored_book(uow)
    async with uow() as tx:
        cart = await tx.carts.get_for_update(user_id, NOW)
        product = await tx.products.get(product_id)
        assert product is not None
        cart.add(product, 1, NOW, LIMITS)
        await tx.carts.save(cart)
        await tx.commit()

    async with uow() as tx:
        await tx.carts.delete_for_user(user_id)
        await tx.commit()

    async with uow() as tx:
        assert await tx.carts.get_for_user(user_id) is None
        fresh = await tx.carts.get_for_update(user_id, NOW)
    assert fresh.is_empty


async def test_an_order_keeps_its_snapshots_and_only_its_status_changes(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    product_id = await _stored_book(uow, price=899)
    items = (
        OrderItem(product_id=product_id, title_snapshot="The Silver Chair", price_snapshot=899, quantity=2),
        OrderItem(product_id=None, title_snapshot="A book since removed", price_snapshot=500, quantity=1),
    )
    async with uow() as tx:
        order = await tx.orders.add(Order(user_id=user_id, currency="usd", items=items, created_at=NOW))
        await tx.commit()
    assert order.id is not None

    async with uow() as tx:
        locked = await tx.orders.get(order.id, for_update=True)
        assert locked is not None
        locked.mark_paid(NOW + timedelta(minutes=1))
        locked.payment_intent_id = "pi_123"
        await tx.orders.update_status(locked)
        await tx.commit()

    async with uow() as tx:
        stored = await tx.orders.get(order.id)
        assert await tx.orders.get(order.id + 1000) is None
    assert stored is not None
    assert stored.items == items
    assert stored.total_amount_cents == 2 * 899 + 500
    assert stored.status is OrderStatus.PAID
    assert stored.payment_intent_id == "pi_123"
    assert stored.created_at == NOW


async def test_count_pending_counts_only_the_users_unpaid_orders(uow: UnitOfWorkFactory) -> None:
    ann, bob = await _stored_user(uow, "ann@example.com"), await _stored_user(uow, "bob@example.com")
    item = (OrderItem(product_id=None, title_snapshot="The Silver Chair", price_snapshot=899, quantity=1),)
    async with uow() as tx:
        assert await tx.orders.count_pending(ann) == 0
        for user_id, status in [
            (ann, OrderStatus.PENDING),
            (ann, OrderStatus.PENDING),
            (ann, OrderStatus.PAID),
            (ann, OrderStatus.FAILED),
            (bob, OrderStatus.PENDING),
        ]:
            await tx.orders.add(
                Order(
                    user_id=user_id,
                    currency="usd",
                    items=item,
                    created_at=NOW,
                    status=status,
                    failure_reason=FailureReason.DECLINED if status is OrderStatus.FAILED else None,
                )
            )
        assert await tx.orders.count_pending(ann) == 2  # the transaction sees its own orders
        await tx.commit()

    async with uow() as tx:
        assert (await tx.orders.count_pending(ann), await tx.orders.count_pending(bob)) == (2, 1)


async def test_an_idempotency_key_is_claimed_once_and_remembers_its_outcome(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    async with uow() as tx:
        assert await tx.idempotency_keys.claim(user_id, "k", NOW) is None
        await tx.commit()

    async with uow() as tx:
        earlier = await tx.idempotency_keys.claim(user_id, "k", NOW + timedelta(seconds=5))
        await tx.idempotency_keys.complete(user_id, "k", CheckoutOutcomeKind.DECLINED, None)
        await tx.commit()
    async with uow() as tx:
        done = await tx.idempotency_keys.claim(user_id, "k", NOW)

    assert earlier is not None
    assert (earlier.state, earlier.created_at, earlier.order_id) == (IdempotencyState.IN_PROGRESS, NOW, None)
    assert done is not None
    assert (done.state, done.outcome) == (IdempotencyState.COMPLETED, CheckoutOutcomeKind.DECLINED)


async def test_only_an_old_claim_without_an_order_can_be_taken_over(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    order_id = await _stored_order(uow, user_id)
    async with uow() as tx:
        await tx.idempotency_keys.claim(user_id, "lost", NOW)
        await tx.idempotency_keys.claim(user_id, "reserved", NOW)
        await tx.idempotency_keys.attach_order(user_id, "reserved", order_id)
        await tx.commit()
    later = NOW + timedelta(minutes=5)

    async with uow() as tx:
        too_soon = await tx.idempotency_keys.take_over(user_id, "lost", NOW, later)
        taken = await tx.idempotency_keys.take_over(user_id, "lost", later, later)
        taken_twice = await tx.idempotency_keys.take_over(user_id, "lost", later, later)
        with_order = await tx.idempotency_keys.take_over(user_id, "reserved", later, later)
        await tx.commit()

    assert (too_soon, taken, taken_twice, with_order) == (False, True, False, False)


async def test_a_released_key_can_be_claimed_again(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    async with uow() as tx:
        await tx.idempotency_keys.claim(user_id, "k", NOW)
        await tx.idempotency_keys.release(user_id, "k")
        assert await tx.idempotency_keys.claim(user_id, "k", NOW) is None


async def test_a_payment_event_is_recorded_once(uow: UnitOfWorkFactory) -> None:
    async with uow() as tx:
        assert await tx.payment_events.record("evt_1", NOW)
        await tx.commit()
    async with uow() as tx:
        assert not await tx.payment_events.record("evt_1", NOW)
        assert await tx.payment_events.record("evt_2", NOW)


async def test_orders_are_found_by_payment_intent(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    order_id = await _stored_order(uow, user_id, payment_intent_id="pi_42")

    async with uow() as tx:
        found = await tx.orders.get_by_payment_intent("pi_42")
        missing = await tx.orders.get_by_payment_intent("pi_43")

    assert found is not None
    assert found.id == order_id
    assert missing is None


async def test_pending_orders_before_a_cutoff_are_listed_by_id_page_after_page(
    uow: UnitOfWorkFactory,
) -> None:
    user_id = await _stored_user(uow)
    oldest = await _stored_order(uow, user_id, created_at=NOW - timedelta(hours=3))
    older = await _stored_order(uow, user_id, created_at=NOW - timedelta(hours=2))
    await _stored_order(uow, user_id, created_at=NOW - timedelta(hours=1), status=OrderStatus.PAID)
    await _stored_order(uow, user_id, created_at=NOW)
    old = await _stored_order(uow, user_id, created_at=NOW - timedelta(hours=1))
    cutoff = NOW - timedelta(minutes=30)

    async with uow() as tx:
        first_two = await tx.orders.pending_before(cutoff, 2)
        next_page = await tx.orders.pending_before(cutoff, 2, after_id=older)
        all_old = await tx.orders.pending_before(cutoff, 10)

    assert [o.id for o in first_two] == [oldest, older]
    assert [o.id for o in next_page] == [old]
    assert [o.id for o in all_old] == [oldest, older, old]
    assert all(o.items for o in all_old)


async def test_pending_orders_are_listed_without_a_lock(uow: UnitOfWorkFactory) -> None:
    """Listing them must not hold them: settling one (lock, write, commit) right after works."""
    user_id = await _stored_user(uow)
    order_id = await _stored_order(uow, user_id, created_at=NOW - timedelta(hours=1))
    async with uow() as tx:
        [listed] = await tx.orders.pending_before(NOW, 10)
    async with uow() as tx:
        order = await tx.orders.get(order_id, for_update=True)
        assert order is not None
        order.mark_failed(NOW, FailureReason.EXPIRED)
        await tx.orders.update_status(order)
        await tx.commit()

    assert listed.id == order_id
    async with uow() as tx:
        assert await tx.orders.pending_before(NOW, 10) == []


async def test_refunded_cents_are_stored_and_read_back(uow: UnitOfWorkFactory) -> None:
    user_id = await _stored_user(uow)
    order_id = await _stored_order(uow, user_id, status=OrderStatus.FAILED)
    async with uow() as tx:
        order = await tx.orders.get(order_id, for_update=True)
        assert order is not None
        assert order.refunded_cents == 0
        order.record_refund(100, NOW)
        await tx.orders.update_status(order)
        await tx.commit()

    async with uow() as tx:
        stored = await tx.orders.get(order_id)

    assert stored is not None
    assert (stored.status, stored.refunded_cents) == (OrderStatus.FAILED, 100)


async def _stored_order(
    uow: UnitOfWorkFactory,
    user_id: int,
    *,
    created_at: datetime = NOW,
    status: OrderStatus = OrderStatus.PENDING,
    payment_intent_id: str | None = None,
) -> int:
    item = OrderItem(product_id=None, title_snapshot="A book", price_snapshot=100, quantity=1)
    async with uow() as tx:
        order = await tx.orders.add(
            Order(
                user_id=user_id,
                currency="usd",
                items=(item,),
                created_at=created_at,
                status=status,
                payment_intent_id=payment_intent_id,
                failure_reason=FailureReason.EXPIRED if status is OrderStatus.FAILED else None,
            )
        )
        await tx.commit()
    assert order.id is not None
    return order.id
