"""/admin: the back office. Every route here is behind the admin guard, set once on the router."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from litestar import Controller, Request, Router, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from application.accounts import SetUserStatus
from application.catalog import ChangeStock, CreateProduct, NewProduct, ProductChanges, UpdateProduct
from application.queries import (
    CatalogQueries,
    OrderQueries,
    PageRequest,
    ProductFilters,
    ProductSort,
    UserQueries,
)
from domain.identity import Role, User
from entrypoints.http.bodies import StrictBody
from entrypoints.http.catalog import product_page
from entrypoints.http.openapi import BEARER
from entrypoints.http.parameters import MAX_ID, Flag, Id, Sort, page_request, product_filters
from entrypoints.http.problems import problems
from entrypoints.http.schemas.accounts import UpdateUserRequest, UserPage
from entrypoints.http.schemas.catalog import (
    CreateProductRequest,
    ProductPage,
    ProductResponse,
    StockChangeRequest,
    UpdateProductRequest,
    given,
)
from entrypoints.http.schemas.identity import UserResponse
from entrypoints.http.schemas.shopping import OrderPage
from entrypoints.http.security import admin_only
from entrypoints.http.shopping import StatusFilter, order_page

GUARDED = (401, 403)


class AdminProductController(Controller):
    path = "/products"
    dependencies = {
        "page": Provide(page_request, sync_to_thread=False),
        "filters": Provide(product_filters, sync_to_thread=False),
    }

    @post("/", status_code=201, responses=problems(400, *GUARDED), dto=StrictBody[CreateProductRequest])
    async def create(
        self, data: JSONBody[CreateProductRequest], create_product: NamedDependency[CreateProduct]
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
        catalog_queries: NamedDependency[CatalogQueries],
        page: NamedDependency[PageRequest],
        filters: NamedDependency[ProductFilters],
        sort: Sort = ProductSort.ID,
        is_active: Flag = None,
    ) -> ProductPage:
        """Every product, withdrawn ones included (filter with `is_active`)."""
        chosen = replace(filters, is_active=is_active)
        return product_page(await catalog_queries.list_products(chosen, sort, page))

    @patch("/{product_id:int}", responses=problems(400, *GUARDED, 404), dto=StrictBody[UpdateProductRequest])
    async def update(
        self,
        product_id: Id,
        data: JSONBody[UpdateProductRequest],
        update_product: NamedDependency[UpdateProduct],
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
        self, product_id: Id, data: JSONBody[StockChangeRequest], change_stock: NamedDependency[ChangeStock]
    ) -> ProductResponse:
        """Set stock (`stock`) or move it atomically (`delta`); never below zero (409)."""
        product = await change_stock(product_id, stock=given(data.stock), delta=given(data.delta))
        return ProductResponse.of(product)


class AdminOrderController(Controller):
    path = "/orders"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", responses=problems(400, *GUARDED))
    async def list_orders(
        self,
        order_queries: NamedDependency[OrderQueries],
        page: NamedDependency[PageRequest],
        status: StatusFilter = None,
        user_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    ) -> OrderPage:
        """Every order, newest first; filter by status or customer."""
        return order_page(await order_queries.list_orders(page, user_id=user_id, status=status))


class AdminUserController(Controller):
    path = "/users"
    dependencies = {"page": Provide(page_request, sync_to_thread=False)}

    @get("/", responses=problems(400, *GUARDED))
    async def list_users(
        self,
        user_queries: NamedDependency[UserQueries],
        page: NamedDependency[PageRequest],
        is_active: Flag = None,
    ) -> UserPage:
        """Accounts by id."""
        found = await user_queries.list_users(page, is_active=is_active)
        return UserPage(
            items=[UserResponse.of(user) for user in found.items],
            total=found.total,
            limit=found.limit,
            offset=found.offset,
        )

    @patch("/{user_id:int}", responses=problems(400, *GUARDED, 404, 409), dto=StrictBody[UpdateUserRequest])
    async def update(
        self,
        request: Request[User, str, Any],
        user_id: Id,
        data: JSONBody[UpdateUserRequest],
        set_user_status: NamedDependency[SetUserStatus],
    ) -> UserResponse:
        """Activate, deactivate (revokes every refresh token) or change the role. Not yourself."""
        role = given(data.role)
        user = await set_user_status(
            request.user, user_id, is_active=given(data.is_active), role=Role(role) if role else None
        )
        return UserResponse.of(user)


admin_router = Router(
    path="/admin",
    route_handlers=[AdminProductController, AdminOrderController, AdminUserController],
    guards=[admin_only],
    security=BEARER,
    tags=["admin"],
)
