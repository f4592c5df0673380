from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import msgspec
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from application.ports import CacheProbe, DatabaseProbe
from entrypoints.http.dependencies import Inject
from entrypoints.http.problems import problems
from entrypoints.http.security import PUBLIC


class Health(msgspec.Struct, omit_defaults=True):
    """`status` is "ok" when every dependency checked is, "degraded" otherwise; the HTTP status
    says whether to send traffic (only the database decides it). `cache` is there only when the
    shop has a shared cache (REDIS_URL): "degraded" while Redis does not answer, when the auth rate
    limit counts in each process's memory instead (still enforced, per process)."""

    status: Annotated[
        Literal["ok", "degraded"],
        msgspec.Meta(description='"ok" when every dependency checked is ok, else "degraded"'),
    ]
    database: Annotated[
        Literal["ok", "unavailable"],
        msgspec.Meta(description='"unavailable" (and the answer is 503) when the database does not answer'),
    ]
    cache: (
        Annotated[
            Literal["ok", "degraded"],
            msgspec.Meta(
                description='Only with a shared cache (REDIS_URL): "degraded" while Redis does not answer; '
                "the auth rate limit then counts in each process's memory (still enforced). The "
                "answer stays 200."
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


@get(
    "/health",
    opt={PUBLIC: True},
    tags=["operations"],
    description="Readiness. 200 when the database answers, whatever the cache does; 503 when it does not. "
    'Answers within about two seconds. Without REDIS_URL: `{"status": "ok", "database": "ok"}`; with it, '
    '`"cache": "ok" | "degraded"` too, and `"status": "degraded"` while the cache is.',
    responses={
        **problems(),
        503: ResponseSpec(
            data_container=Health, description="The database cannot be reached.", generate_examples=False
        ),
    },
)
async def health(
    database_probe: Inject[DatabaseProbe], cache_probe: Inject[CacheProbe | None]
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
