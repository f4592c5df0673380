"""The ASGI entry for servers: `uvicorn --factory entrypoints.http.asgi:create_app_from_env`."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


def create_app_from_env() -> Litestar:
    return create_app(build_container(Settings.from_env()))
