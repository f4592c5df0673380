"""Checkout on every store: money and stock move together or not at all."""

from __future__ import annotations

import pytest

from application.catalog import ChangeStock, ProductChanges, UpdateProduct
from application.checkout import provider_idempotency_key
from application.errors import IdempotencyKeyReused, NotFound, PaymentDeclined, PaymentUnavailable
from application.idempotency import ABANDONED_AFTER, IdempotencyState
from application.ports import ChargeOutcome, UnitOfWorkFactory
from domain.errors import AccountInactive, CartEmpty, InsufficientStock, InvalidValue, ProductUnavailable
from domain.ordering import OrderStatus
from tests.fakes import FrozenClock, ScriptedPaymentProvider
from tests.use_cases.conftest import Shop, deactivate, edit_user, make_shop

VISA = "pm_card_visa"
DECLINED = "pm_card_visa_chargeDeclined"


async def _cart(shop: Shop, *lines: tuple[str, int, int, int]) -> tuple[int, list[int]]:
    """A customer with (title, price, stock, quantity) lines in the cart."""
    ann = await shop.customer()
    ids = []
    for title, price, stock, quantity in lines:
        product_id = await shop.book(title, price_cents=price, stock=stock)
        await shop.add_to_cart(ann, product_id, quantity)
        ids.append(product_id)
    return ann, ids


async def test_a_paid_order_holds_the_snapshots_and_takes_the_stock_and_the_cart(shop: Shop) -> None:
    ann, (caspian, chair) = await _cart(shop, ("Prince Caspian", 799, 5, 2), ("The Silver Chair", 899, 5, 1))

    result = await shop.checkout(ann, VISA)

    order = result.order
    assert order.status is OrderStatus.PAID
    assert [(i.product_id, i.title_snapshot, i.price_snapshot, i.quantity) for i in order.items] == [
        (caspian, "Prince Caspian", 799, 2),
        (chair, "The Silver Chair", 899, 1),
    ]
    assert order.total_amount_cents == 2 * 799 + 899
    assert order.currency == "usd"
    assert result.client_secret is None
    assert (await shop.stock_of(caspian), await shop.stock_of(chair)) == (3, 4)
    assert (await shop.view_cart(ann)).lines == []
    stored = await shop.order(order.id or 0)
    assert stored.status is OrderStatus.PAID
    assert stored.payment_intent_id is not None


async def test_snapshots_never_change_afterwards(shop: Shop) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 1))
    order = (await shop.checkout(ann, VISA)).order

    await UpdateProduct(shop.uow)(caspian, ProductChanges(title="Prince Caspian (new)", price_cents=1999))
    await UpdateProduct(shop.uow)(caspian, ProductChanges(is_active=False))

    stored = await shop.order(order.id or 0)
    assert (stored.items[0].title_snapshot, stored.items[0].price_snapshot) == ("Prince Caspian", 799)


@pytest.mark.parametrize("method", [None, "pm_card_authenticationRequired"])
async def test_a_payment_the_customer_must_complete_leaves_a_pending_order(
    shop: Shop, method: str | None
) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    result = await shop.checkout(ann, method)

    assert result.order.status is OrderStatus.PENDING
    assert result.client_secret is not None
    assert result.client_secret.startswith(f"{result.order.payment_intent_id}_secret_")
    assert await shop.stock_of(caspian) == 3  # reserved until the webhook or the expiry settles it
    assert (await shop.view_cart(ann)).lines == []


@pytest.mark.parametrize("method", [DECLINED, "pm_card_chargeDeclinedInsufficientFunds"])
async def test_a_declined_card_fails_the_order_restores_stock_and_keeps_the_cart(
    shop: Shop, method: str
) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))
    cart = await shop.view_cart(ann)

    with pytest.raises(PaymentDeclined) as declined:
        await shop.checkout(ann, method)

    order = await shop.order(declined.value.order_id)
    assert order.status is OrderStatus.FAILED
    assert await shop.stock_of(caspian) == 5
    assert await shop.view_cart(ann) == cart


async def test_an_unreachable_provider_is_handled_like_a_decline(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(uow, ScriptedPaymentProvider(ChargeOutcome.UNAVAILABLE), clock)
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    with pytest.raises(PaymentUnavailable) as unavailable:
        await shop.checkout(ann, VISA)

    assert (await shop.order(unavailable.value.order_id)).status is OrderStatus.FAILED
    assert await shop.stock_of(caspian) == 5
    assert len((await shop.view_cart(ann)).lines) == 1


async def test_a_provider_that_may_have_charged_leaves_the_order_pending(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    shop = make_shop(uow, ScriptedPaymentProvider(ChargeOutcome.UNKNOWN), clock)
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    with pytest.raises(PaymentUnavailable) as unavailable:
        await shop.checkout(ann, VISA)

    assert (await shop.order(unavailable.value.order_id)).status is OrderStatus.PENDING
    assert await shop.stock_of(caspian) == 3


async def test_the_provider_is_asked_once_per_order_with_a_key_derived_from_it(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED)
    shop = make_shop(uow, provider, clock)
    ann, _ = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    order = (await shop.checkout(ann, VISA)).order

    [request] = provider.requests
    assert (request.order_id, request.amount_cents, request.currency) == (order.id, 1598, "usd")
    assert request.idempotency_key == provider_idempotency_key(order.id or 0)
    assert request.payment_method_id == VISA


async def test_an_empty_cart_cannot_be_checked_out(shop: Shop) -> None:
    ann = await shop.customer()

    with pytest.raises(CartEmpty):
        await shop.checkout(ann, VISA)
    await shop.add_to_cart(ann, await shop.book("Prince Caspian"))
    await shop.remove_from_cart(ann, 1)
    with pytest.raises(CartEmpty):
        await shop.checkout(ann, VISA)

    assert await shop.orders_of(ann) == []


async def test_a_withdrawn_product_stops_the_checkout_and_nothing_moves(shop: Shop) -> None:
    ann, (caspian, chair) = await _cart(shop, ("Prince Caspian", 799, 5, 2), ("The Silver Chair", 899, 5, 1))
    await UpdateProduct(shop.uow)(chair, ProductChanges(is_active=False))

    with pytest.raises(ProductUnavailable):
        await shop.checkout(ann, VISA)

    assert await shop.orders_of(ann) == []
    assert (await shop.stock_of(caspian), await shop.stock_of(chair)) == (5, 5)


async def test_stock_that_ran_out_stops_the_checkout_and_nothing_moves(shop: Shop) -> None:
    ann, (caspian, chair) = await _cart(shop, ("Prince Caspian", 799, 5, 2), ("The Silver Chair", 899, 5, 3))
    await ChangeStock(shop.uow)(chair, stock=2)

    with pytest.raises(InsufficientStock):
        await shop.checkout(ann, VISA)

    assert await shop.orders_of(ann) == []
    assert (await shop.stock_of(caspian), await shop.stock_of(chair)) == (5, 2)


async def test_an_inactive_customer_cannot_check_out(shop: Shop) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))
    await edit_user(shop.uow, ann, deactivate)

    with pytest.raises(AccountInactive):
        await shop.checkout(ann, VISA)

    assert await shop.stock_of(caspian) == 5


async def test_the_same_key_gets_the_same_answer_and_one_charge(
    uow: UnitOfWorkFactory, clock: FrozenClock
) -> None:
    provider = ScriptedPaymentProvider(ChargeOutcome.SUCCEEDED)
    shop = make_shop(uow, provider, clock)
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    first = await shop.checkout(ann, VISA, "key-1")
    again = await shop.checkout(ann, VISA, "key-1")

    assert again.order.id == first.order.id
    assert again.order.status is OrderStatus.PAID
    assert len(provider.requests) == 1
    assert await shop.stock_of(caspian) == 3
    assert len(await shop.orders_of(ann)) == 1


async def test_a_pending_answer_is_replayed_with_its_client_secret(shop: Shop) -> None:
    ann, _ = await _cart(shop, ("Prince Caspian", 799, 5, 2))

    first = await shop.checkout(ann, None, "key-1")
    again = await shop.checkout(ann, None, "key-1")

    assert (again.order.id, again.client_secret) == (first.order.id, first.client_secret)


async def test_a_declined_answer_is_replayed_too(shop: Shop) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 2))
    with pytest.raises(PaymentDeclined) as first:
        await shop.checkout(ann, DECLINED, "key-1")

    with pytest.raises(PaymentDeclined) as again:
        await shop.checkout(ann, VISA, "key-1")

    assert again.value.order_id == first.value.order_id
    assert await shop.stock_of(caspian) == 5
    assert len(await shop.orders_of(ann)) == 1


async def test_keys_belong_to_their_user(shop: Shop) -> None:
    ann, _ = await _cart(shop, ("Prince Caspian", 799, 5, 1))
    bob = await shop.customer("bob@example.com")
    await shop.add_to_cart(bob, 1)

    anns = await shop.checkout(ann, VISA, "same-key")
    bobs = await shop.checkout(bob, VISA, "same-key")

    assert anns.order.id != bobs.order.id
    assert bobs.order.user_id == bob


async def test_a_refusal_before_any_order_does_not_use_the_key_up(shop: Shop) -> None:
    ann = await shop.customer()
    with pytest.raises(CartEmpty):
        await shop.checkout(ann, VISA, "key-1")

    await shop.add_to_cart(ann, await shop.book("Prince Caspian"))
    result = await shop.checkout(ann, VISA, "key-1")

    assert result.order.status is OrderStatus.PAID


async def test_a_key_still_in_use_is_refused(shop: Shop) -> None:
    ann, _ = await _cart(shop, ("Prince Caspian", 799, 5, 1))
    async with shop.uow() as tx:
        assert await tx.idempotency_keys.claim(ann, "busy", shop.clock.now()) is None
        await tx.commit()

    with pytest.raises(IdempotencyKeyReused):
        await shop.checkout(ann, VISA, "busy")


async def test_an_abandoned_key_without_an_order_can_be_used_again(shop: Shop) -> None:
    ann, _ = await _cart(shop, ("Prince Caspian", 799, 5, 1))
    async with shop.uow() as tx:
        assert await tx.idempotency_keys.claim(ann, "crashed", shop.clock.now()) is None
        await tx.commit()

    shop.clock.advance(ABANDONED_AFTER.total_seconds() + 1)
    result = await shop.checkout(ann, VISA, "crashed")

    assert result.order.status is OrderStatus.PAID
    async with shop.uow() as tx:
        record = await tx.idempotency_keys.claim(ann, "crashed", shop.clock.now())
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED


async def test_an_abandoned_key_with_an_order_answers_with_that_order(shop: Shop) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 1))
    crashed = await shop.checkout(ann, None)  # stands for a checkout cut off after its reservation
    async with shop.uow() as tx:
        assert await tx.idempotency_keys.claim(ann, "crashed", shop.clock.now()) is None
        await tx.idempotency_keys.attach_order(ann, "crashed", crashed.order.id or 0)
        await tx.commit()

    with pytest.raises(IdempotencyKeyReused):
        await shop.checkout(ann, VISA, "crashed")
    shop.clock.advance(ABANDONED_AFTER.total_seconds() + 1)
    answer = await shop.checkout(ann, VISA, "crashed")

    assert answer.order.id == crashed.order.id
    assert await shop.stock_of(caspian) == 4


@pytest.mark.parametrize(("method", "key"), [("", None), ("pm\x00", None), (VISA, ""), (VISA, "k" * 256)])
async def test_bad_payment_methods_and_keys_are_refused(shop: Shop, method: str, key: str | None) -> None:
    ann, (caspian,) = await _cart(shop, ("Prince Caspian", 799, 5, 1))

    with pytest.raises(InvalidValue):
        await shop.checkout(ann, method, key)

    assert await shop.stock_of(caspian) == 5


async def test_an_unknown_customer_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await shop.checkout(12345, VISA)
