"""The framework's ceiling on this machine: a bare Litestar endpoint returning a static 20-item JSON
list, served by the same server setup as the shop (uvicorn, same workers, same flags)."""

from __future__ import annotations

import msgspec
from litestar import Litestar, get


class Item(msgspec.Struct):
    id: int
    title: str
    series: str
    author: str
    price_cents: int
    stock: int
    is_active: bool
    created_at: str


ITEMS = [
    Item(
        id=n,
        title=f"A static book #{n}",
        series="HP" if n % 2 else "NARNIA",
        author="Nobody in particular",
        price_cents=899 + n,
        stock=n,
        is_active=True,
        created_at="2026-11-24T06:30:00Z",
    )
    for n in range(1, 21)
]


@get("/items", sync_to_thread=False)
def items() -> list[Item]:
    return ITEMS


def create_app() -> Litestar:
    return Litestar([items], openapi_config=None, logging_config=None)
