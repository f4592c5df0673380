"""What staff do once an order is paid: hand its parcel to a carrier, then record its delivery.

Each is one transaction that locks the order's row, so that two members of staff shipping one
order at once ship it once (the other is told it is already shipped) and a refund or a settlement
of the same order waits its turn. The rules are the order's (Order.ship, Order.deliver)."""

from __future__ import annotations

from application.errors import NotFound
from application.order_messages import customer_email, order_shipped
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.fulfilment import Shipment
from domain.ordering import Order


async def _locked_order(uow: UnitOfWork, order_id: int) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound("order", order_id)
    return order


class ShipOrder:
    """Staff hand a paid order's parcel to a carrier.

    - Only a PAID order that was not refunded in full, and only once: anything else is
      OrderNotShippable, nothing changed.
    - The carrier and tracking number are one line of text each (1 to 100 characters, no control
      characters), checked before the order is looked at.
    - The order's payment status is untouched: fulfilment is its own state.
    - The customer's email (carrier and tracking number) is recorded in the same transaction.
    """

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, order_id: int, carrier: str, tracking_number: str) -> Order:
        shipment = Shipment(carrier, tracking_number)
        now = self._clock.now()
        async with self._uow() as uow:
            order = await _locked_order(uow, order_id)
            order.ship(shipment, now)
            await uow.orders.update_fulfilment(order)
            await uow.outbox.add(order_shipped(order, await customer_email(uow, order)), now)
            await uow.commit()
        return order


class DeliverOrder:
    """Staff record that the carrier delivered a shipped order: only a SHIPPED one, once
    (OrderNotShippable otherwise, nothing changed)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, order_id: int) -> Order:
        async with self._uow() as uow:
            order = await _locked_order(uow, order_id)
            order.deliver(self._clock.now())
            await uow.orders.update_fulfilment(order)
            await uow.commit()
        return order
