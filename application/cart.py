"""The shopping cart: what the customer means to buy, at today's prices."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from application.errors import NotFound
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.cart import Cart
from domain.catalog import Product
from domain.limits import PurchaseLimits
from domain.shipping import DEFAULT_SHIPPING_RATES, Address, CountryNotServed, ShippingRates


@dataclass(frozen=True, slots=True)
class CartLine:
    product_id: int
    title: str
    price_cents: int
    quantity: int
    available: bool
    """False when the product was withdrawn from sale, or its stock fell below the quantity."""

    @property
    def line_total_cents(self) -> int:
        return self.price_cents * self.quantity


@dataclass(frozen=True, slots=True)
class CartView:
    lines: list[CartLine]
    updated_at: datetime | None
    shipping_address: Address | None = None
    shipping_cents: int | None = None
    """What shipping to the address costs today; None without an address, or when its country is
    no longer served (checkout would refuse it)."""

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def grand_total_cents(self) -> int | None:
        return None if self.shipping_cents is None else self.total_cents + self.shipping_cents

    @classmethod
    def of(
        cls, cart: Cart | None, products: dict[int, Product], shipping: ShippingRates = DEFAULT_SHIPPING_RATES
    ) -> CartView:
        """Lines in the order they were first added, with the products as they are now."""
        if cart is None:
            return cls(lines=[], updated_at=None)
        lines = []
        for item in cart.items.values():
            product = products[item.product_id]
            lines.append(
                CartLine(
                    product_id=item.product_id,
                    title=product.title,
                    price_cents=product.price_cents,
                    quantity=item.quantity,
                    available=product.can_supply(item.quantity),
                )
            )
        view = cls(lines=lines, updated_at=cart.updated_at, shipping_address=cart.shipping_address)
        if cart.shipping_address is None:
            return view
        try:
            cents = shipping.price_for(cart.shipping_address.country, view.total_cents)
        except CountryNotServed:
            return view
        return replace(view, shipping_cents=cents)


async def _view(
    uow: UnitOfWork, cart: Cart | None, shipping: ShippingRates = DEFAULT_SHIPPING_RATES
) -> CartView:
    products = await uow.products.get_many(cart.items) if cart else {}
    return CartView.of(cart, products, shipping)


class ViewCart:
    def __init__(self, uow: UnitOfWorkFactory, shipping: ShippingRates = DEFAULT_SHIPPING_RATES) -> None:
        self._uow = uow
        self._shipping = shipping

    async def __call__(self, user_id: int) -> CartView:
        async with self._uow() as uow:
            return await _view(uow, await uow.carts.get_for_user(user_id), self._shipping)


class AddToCart:
    """A customer puts books in their cart.

    - The quantity adds to the product's line; a product appears once.
    - A product that does not exist or is no longer sold is not found.
    - The line may not exceed the per-line cap nor the stock on the shelf; if it would, nothing
      changes.
    - Concurrent adds to one cart are applied one after the other (the cart is locked).
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        limits: PurchaseLimits,
        shipping: ShippingRates = DEFAULT_SHIPPING_RATES,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._limits = limits
        self._shipping = shipping

    async def __call__(self, user_id: int, product_id: int, quantity: int = 1) -> CartView:
        now = self._clock.now()
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None or not product.is_active:
                raise NotFound("product", product_id)
            cart = await uow.carts.get_for_update(user_id, now)
            cart.add(product, quantity, now, self._limits)
            await uow.carts.save(cart)
            view = await _view(uow, cart, self._shipping)
            await uow.commit()
        return view


class RemoveFromCart:
    """A customer takes books out: the whole line, or some of it (the line goes at zero)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, shipping: ShippingRates = DEFAULT_SHIPPING_RATES
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._shipping = shipping

    async def __call__(self, user_id: int, product_id: int, quantity: int | None = None) -> CartView:
        now = self._clock.now()
        async with self._uow() as uow:
            cart = await uow.carts.get_for_update(user_id, now)
            cart.remove(product_id, quantity, now)
            await uow.carts.save(cart)
            view = await _view(uow, cart, self._shipping)
            await uow.commit()
        return view


class SetShippingAddress:
    """A customer says where their order is to go.

    - The address replaces any earlier one; it stays on the cart when the lines go, until an order
      is placed with it.
    - A customer with no cart yet gets a cart holding only the address.
    - A country the shop does not serve is refused, and the cart is left as it was.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, shipping: ShippingRates) -> None:
        self._uow = uow
        self._clock = clock
        self._shipping = shipping

    async def __call__(self, user_id: int, address: Address) -> CartView:
        now = self._clock.now()
        async with self._uow() as uow:
            cart = await uow.carts.get_for_update(user_id, now)
            cart.ship_to(address, self._shipping, now)
            await uow.carts.save(cart)
            view = await _view(uow, cart, self._shipping)
            await uow.commit()
        return view
