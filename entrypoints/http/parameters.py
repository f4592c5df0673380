"""Query and path parameters shared by several routes, with the bounds the contract sets.

Handlers take these directly rather than through Litestar dependencies: Litestar resolves a
handler's dependencies concurrently in an anyio task group when there are several, which cost a
fifth of a cached catalogue request (measured with py-spy). One dependency per handler, its port."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from application.queries import MAX_PAGE_SIZE, ProductSort
from domain.catalog import AUTHOR_MAX_LENGTH, Series
from domain.fulfilment import FulfilmentStatus
from domain.identity import EMAIL_MAX_LENGTH
from domain.ordering import OrderStatus
from domain.values import MAX_INT32

MAX_ID = 2**53 - 1
"""Ids above this cannot exist here, and no JavaScript client could hold them exactly."""

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Cents = Annotated[int | None, QueryParameter(ge=0, le=MAX_INT32, description="Integer cents.")]
SeriesFilter = Annotated[Series | None, QueryParameter()]
Flag = Annotated[bool | None, QueryParameter()]
Sort = Annotated[ProductSort, QueryParameter(description="Ties are always broken by id.")]
StatusFilter = Annotated[OrderStatus | None, QueryParameter()]


Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_INT32)]
Author = Annotated[
    str | None,
    QueryParameter(max_length=AUTHOR_MAX_LENGTH, description="Case-insensitive part of the author's name."),
]
FulfilmentStatusFilter = Annotated[FulfilmentStatus | None, QueryParameter()]
EmailFilter = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=EMAIL_MAX_LENGTH,
        description="Case-insensitive part of the email; `%` and `_` are literal characters.",
    ),
]
