from __future__ import annotations

import asyncio
from typing import Literal

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from application.ports import CacheProbe, DatabaseProbe
from entrypoints.http.security import PUBLIC


class Health(msgspec.Struct, omit_defaults=True):
    """`status` is "ok" when every dependency checked is, "degraded" otherwise; the HTTP status
    says whether to send traffic (only the database decides it). `cache` is there only when the
    shop has a shared cache (REDIS_URL): "degraded" while Redis does not answer, when the auth rate
    limit counts in each process's memory instead (still enforced, per process)."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    cache: Literal["ok", "degraded"] | msgspec.UnsetType = msgspec.UNSET


@get(
    "/health",
    opt={PUBLIC: True},
    tags=["operations"],
    responses={
        503: ResponseSpec(
            data_container=Health, description="The database cannot be reached.", generate_examples=False
        )
    },
)
async def health(
    database_probe: NamedDependency[DatabaseProbe], cache_probe: NamedDependency[CacheProbe | None]
) -> Response[Health]:
    """Readiness: 200 when the database answers (whatever the cache does), 503 when it does not,
    within about two seconds either way. With REDIS_URL set, `cache` tells whether Redis answers."""
    database_up, cache_up = await asyncio.gather(
        database_probe.is_up(), cache_probe.is_up() if cache_probe is not None else _nothing()
    )
    body = Health(
        status="ok" if database_up and cache_up is not False else "degraded",
        database="ok" if database_up else "unavailable",
    )
    if cache_up is not None:
        body.cache = "ok" if cache_up else "degraded"
    return Response(body, status_code=200 if database_up else 503)


async def _nothing() -> None:
    return None
