"""/admin: the back office. Every route here is behind the admin guard, set once on the router."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Router, get, patch, post
from litestar.params import JSONBody, QueryParameter

from application.catalog import ChangeStock, CreateProduct, NewProduct, ProductChanges, UpdateProduct
from application.errors import NotFound
from application.fulfilment import DeliverOrder, ShipOrder
from application.queries import (
    DEFAULT_PAGE_SIZE,
    CatalogQueries,
    EmailPart,
    OrderFilters,
    PageRequest,
    ProductFilters,
    ProductSort,
    StaffOrderQueries,
    UserQueries,
)
from application.staff_accounts import ChangeUserAccess
from domain.identity import Role
from entrypoints.http.bodies import OptionalStrictBody, StrictBody
from entrypoints.http.dependencies import Inject
from entrypoints.http.openapi import BEARER, OptionalBodyOperation
from entrypoints.http.parameters import (
    MAX_ID,
    Author,
    Cents,
    EmailFilter,
    Flag,
    FulfilmentStatusFilter,
    Id,
    Limit,
    Offset,
    SeriesFilter,
    Sort,
    StatusFilter,
)
from entrypoints.http.problems import problems
from entrypoints.http.refunds import AdminRefundController
from entrypoints.http.schemas import given
from entrypoints.http.schemas.accounts import UpdateUserRequest, UserPage
from entrypoints.http.schemas.catalog import (
    CreateProductRequest,
    ProductPage,
    ProductResponse,
    StockChangeRequest,
    UpdateProductRequest,
)
from entrypoints.http.schemas.fulfilment import DeliverOrderRequest, ShipOrderRequest
from entrypoints.http.schemas.identity import UserResponse
from entrypoints.http.schemas.shopping import OrderResponse
from entrypoints.http.schemas.staff_orders import AdminOrderPage, AdminOrderResponse
from entrypoints.http.security import Caller, admin_only

GUARDED = (401, 403)


class AdminProductController(Controller):
    path = "/products"

    @post("/", status_code=201, responses=problems(400, *GUARDED), dto=StrictBody[CreateProductRequest])
    async def create(
        self, data: JSONBody[CreateProductRequest], create_product: Inject[CreateProduct]
    ) -> ProductResponse:
        """Add a book to the catalogue, on sale at once."""
        product = await create_product(
            NewProduct(
                title=data.title,
                series=data.series,
                author=data.author,
                price_cents=data.price_cents,
                stock=data.stock,
            )
        )
        return ProductResponse.of(product)

    @get("/", responses=problems(400, *GUARDED))
    async def list_products(
        self,
        *,
        catalog_queries: Inject[CatalogQueries],
        series: SeriesFilter = None,
        author: Author = None,
        min_price_cents: Cents = None,
        max_price_cents: Cents = None,
        in_stock: Flag = None,
        is_active: Flag = None,
        sort: Sort = ProductSort.ID,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> ProductPage:
        """Every product, withdrawn ones included (filter with `is_active`); never from a cache."""
        filters = ProductFilters(
            series=series,
            author=author,
            min_price_cents=min_price_cents,
            max_price_cents=max_price_cents,
            in_stock=in_stock,
            is_active=is_active,
        )
        page = PageRequest(limit=limit, offset=offset)
        return ProductPage.of(await catalog_queries.list_products(filters, sort, page))

    @patch("/{product_id:int}", responses=problems(400, *GUARDED, 404), dto=StrictBody[UpdateProductRequest])
    async def update(
        self,
        product_id: Id,
        data: JSONBody[UpdateProductRequest],
        update_product: Inject[UpdateProduct],
    ) -> ProductResponse:
        """Revise details, withdraw from sale (`is_active: false`) or restore. Not stock."""
        changes = ProductChanges(
            title=given(data.title),
            series=given(data.series),
            author=given(data.author),
            price_cents=given(data.price_cents),
            is_active=given(data.is_active),
        )
        return ProductResponse.of(await update_product(product_id, changes))

    @patch(
        "/{product_id:int}/stock",
        responses=problems(400, *GUARDED, 404, 409),
        dto=StrictBody[StockChangeRequest],
    )
    async def change_stock(
        self, product_id: Id, data: JSONBody[StockChangeRequest], change_stock: Inject[ChangeStock]
    ) -> ProductResponse:
        """Set stock (`stock`) or move it atomically (`delta`); never below zero (409)."""
        product = await change_stock(product_id, stock=given(data.stock), delta=given(data.delta))
        return ProductResponse.of(product)


class AdminOrderController(Controller):
    path = "/orders"

    @get("/", responses=problems(400, *GUARDED))
    async def list_orders(
        self,
        *,
        staff_order_queries: Inject[StaffOrderQueries],
        status: StatusFilter = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        fulfilment_status: FulfilmentStatusFilter = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> AdminOrderPage:
        """Every order, newest first, each with its customer's `user_email`; filter by payment
        status, customer or fulfilment status."""
        filters = OrderFilters(user_id=user_id, status=status, fulfilment_status=fulfilment_status)
        page = PageRequest(limit=limit, offset=offset)
        return AdminOrderPage.of(await staff_order_queries.list_customer_orders(filters, page))

    @get("/{order_id:int}", operation_id="getCustomerOrder", responses=problems(400, *GUARDED, 404))
    async def show(self, order_id: Id, staff_order_queries: Inject[StaffOrderQueries]) -> AdminOrderResponse:
        """Any customer's order, with their `user_email`."""
        found = await staff_order_queries.get_customer_order(order_id)
        if found is None:
            raise NotFound("order", order_id)
        return AdminOrderResponse.of_customer_order(found)

    @post(
        "/{order_id:int}/ship",
        status_code=200,
        operation_id="shipOrder",
        dto=StrictBody[ShipOrderRequest],
        responses=problems(400, *GUARDED, 404, 409),
    )
    async def ship(
        self, order_id: Id, data: JSONBody[ShipOrderRequest], ship_order: Inject[ShipOrder]
    ) -> OrderResponse:
        """Hand a PAID order's parcel to a carrier: fulfilment becomes SHIPPED, with the carrier,
        the tracking number and `shipped_at`. The payment `status` stays PAID. An order that is not
        PAID, was refunded in full or is already shipped → 409 `order_not_shippable`, nothing
        changed; of two staff shipping one order at once, one succeeds and the other gets that 409."""
        return OrderResponse.of(await ship_order(order_id, data.carrier, data.tracking_number))

    @post(
        "/{order_id:int}/deliver",
        status_code=200,
        operation_id="deliverOrder",
        dto=OptionalStrictBody[DeliverOrderRequest],
        operation_class=OptionalBodyOperation,
        responses=problems(400, *GUARDED, 404, 409),
    )
    async def deliver(
        self,
        order_id: Id,
        deliver_order: Inject[DeliverOrder],
        data: JSONBody[DeliverOrderRequest | None] = None,
    ) -> OrderResponse:
        """Record that the carrier delivered a SHIPPED order: fulfilment becomes DELIVERED, with
        `delivered_at`. Takes no body (an empty object is accepted). An order that is not SHIPPED
        → 409 `order_not_shippable`, nothing changed."""
        return OrderResponse.of(await deliver_order(order_id))


class AdminUserController(Controller):
    path = "/users"

    @get("/", responses=problems(400, *GUARDED))
    async def list_users(
        self,
        user_queries: Inject[UserQueries],
        is_active: Flag = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
        email: EmailFilter = None,
    ) -> UserPage:
        """Accounts by id; `email` keeps those whose email holds it (any case; `%` and `_` are
        literal characters)."""
        page = PageRequest(limit=limit, offset=offset)
        part = None if email is None else EmailPart(email)
        return UserPage.of(await user_queries.list_users(page, is_active=is_active, email=part))

    @patch("/{user_id:int}", responses=problems(400, *GUARDED, 404, 409), dto=StrictBody[UpdateUserRequest])
    async def update(
        self,
        request: Caller,
        user_id: Id,
        data: JSONBody[UpdateUserRequest],
        change_user_access: Inject[ChangeUserAccess],
    ) -> UserResponse:
        """Activate, deactivate or change the role. Not yourself (409 `conflict`).

        Any change ends every session of the user: their refresh tokens are revoked and their
        access tokens issued before the change are refused (401). A field set to the value it
        already has changes nothing and ends nothing."""
        role = given(data.role)
        user = await change_user_access(
            request.user, user_id, is_active=given(data.is_active), role=Role(role) if role else None
        )
        return UserResponse.of(user)


admin_router = Router(
    path="/admin",
    route_handlers=[AdminProductController, AdminOrderController, AdminUserController, AdminRefundController],
    guards=[admin_only],
    security=BEARER,
    tags=["admin"],
)
