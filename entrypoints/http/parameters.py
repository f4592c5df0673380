"""Query and path parameters shared by several routes, with the bounds the contract sets."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from application.queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest, ProductFilters, ProductSort
from domain.catalog import AUTHOR_MAX_LENGTH, Series
from domain.values import MAX_INT32

MAX_ID = 2**53 - 1
"""Ids above this cannot exist here, and no JavaScript client could hold them exactly."""

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Cents = Annotated[int | None, QueryParameter(ge=0, le=MAX_INT32, description="Integer cents.")]
SeriesFilter = Annotated[Series | None, QueryParameter()]
Flag = Annotated[bool | None, QueryParameter()]
Sort = Annotated[ProductSort, QueryParameter(description="Ties are always broken by id.")]


def page_request(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_INT32)] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


def product_filters(
    series: SeriesFilter = None,
    author: Annotated[
        str | None,
        QueryParameter(
            max_length=AUTHOR_MAX_LENGTH, description="Case-insensitive part of the author's name."
        ),
    ] = None,
    min_price_cents: Cents = None,
    max_price_cents: Cents = None,
    in_stock: Flag = None,
) -> ProductFilters:
    return ProductFilters(
        series=series,
        author=author,
        min_price_cents=min_price_cents,
        max_price_cents=max_price_cents,
        in_stock=in_stock,
    )
