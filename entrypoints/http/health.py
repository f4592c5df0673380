from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from application.ports import DatabaseProbe
from entrypoints.http.problems import problems
from entrypoints.http.security import PUBLIC


class Health(msgspec.Struct):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]


@get(
    "/health",
    opt={PUBLIC: True},
    tags=["operations"],
    responses={
        **problems(),
        503: ResponseSpec(
            data_container=Health, description="The database cannot be reached.", generate_examples=False
        ),
    },
)
async def health(database_probe: NamedDependency[DatabaseProbe]) -> Response[Health]:
    """Liveness and readiness: 200 when the database answers, 503 when it does not."""
    if await database_probe.is_up():
        return Response(Health(status="ok", database="ok"), status_code=200)
    return Response(Health(status="degraded", database="unavailable"), status_code=503)
