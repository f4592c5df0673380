from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.queries import Page
from domain.catalog import AUTHOR_MAX_LENGTH, TITLE_MAX_LENGTH, Product, Series
from domain.values import MAX_INT32

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX_LENGTH)]
Author = Annotated[str, msgspec.Meta(min_length=1, max_length=AUTHOR_MAX_LENGTH)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT32, description="Integer cents.")]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT32)]
Delta = Annotated[int, msgspec.Meta(ge=-MAX_INT32, le=MAX_INT32)]


class ProductResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    series: Series
    author: str
    price_cents: int
    stock: int
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductResponse:
        if product.id is None:
            raise ValueError("an unsaved product has no public form")
        return cls(
            id=product.id,
            title=product.title,
            series=product.series,
            author=product.author,
            price_cents=product.price_cents,
            stock=product.stock,
            is_active=product.is_active,
            created_at=product.created_at,
        )


class ProductPage(msgspec.Struct, kw_only=True):
    items: list[ProductResponse]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[Product]) -> ProductPage:
        return cls(
            items=[ProductResponse.of(product) for product in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )


class SearchPage(ProductPage, kw_only=True):
    fuzzy: Annotated[
        bool,
        msgspec.Meta(
            description="True when no product holds every word typed and the items are near matches "
            'instead: products holding catalogue words near the misspelt ones ("potterr" finds '
            '"potter"). False when every item holds every word as typed.'
        ),
    ] = False

    @classmethod
    def of(cls, page: Page[Product]) -> SearchPage:
        return cls(
            items=[ProductResponse.of(product) for product in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
            fuzzy=page.fuzzy,
        )


class CreateProductRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    series: Series
    author: Author
    price_cents: Cents
    stock: Count = 0


class UpdateProductRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Any of the fields; those left out stay as they are. `is_active: false` withdraws the book
    from sale (the soft delete), `true` puts it back. Stock is changed on /stock, not here."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    series: Series | msgspec.UnsetType = msgspec.UNSET
    author: Author | msgspec.UnsetType = msgspec.UNSET
    price_cents: Cents | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET


class StockChangeRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Exactly one of `stock` (set to this value) or `delta` (move by this much, atomically)."""

    stock: Count | msgspec.UnsetType = msgspec.UNSET
    delta: Delta | msgspec.UnsetType = msgspec.UNSET
