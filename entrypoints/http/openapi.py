from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Operation, RequestBody, SecurityRequirement, SecurityScheme

BEARER: list[SecurityRequirement] = [{"BearerToken": []}]


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Bookshop API",
        version=version,
        description="An online bookshop for the Harry Potter and Narnia books. Errors are RFC 9457 "
        "problem details (application/problem+json) with a stable `code`. Read-your-writes: a request "
        "that starts after a write's 2xx response has been received sees that write (a price, a "
        "withdrawal, a stock movement, a new product, every `total`), whichever worker or host answers "
        "it; cached catalogue pages are served only while no write has changed the catalogue since.",
        path="/schema",
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
    )


@dataclass
class OptionalBodyOperation(Operation):
    """For a route whose whole body may be left out (Litestar documents every body as required)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False
