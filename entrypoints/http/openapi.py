from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

BEARER: list[SecurityRequirement] = [{"BearerToken": []}]


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Bookshop API",
        version=version,
        description="An online bookshop for the Harry Potter and Narnia books. Errors are RFC 9457 "
        "problem details (application/problem+json) with a stable `code`.",
        path="/schema",
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )
