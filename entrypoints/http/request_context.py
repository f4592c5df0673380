"""Around every request: a request id (accepted from X-Request-ID or made up, and echoed back) and
one access-log line with method, path, status and duration. Wraps the whole ASGI handler, so even
a request for a route that does not exist is identified and logged."""

from __future__ import annotations

import logging
import re
import time
from random import getrandbits

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from entrypoints.logs import ACCESS_LOGGER, REQUEST_ID

REQUEST_ID_HEADER = b"x-request-id"
_ACCEPTED_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
"""An id from a load balancer or a client is kept only if it is short and plain: it goes into
logs and headers, so nothing that could forge a log line or a header is taken."""

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self._handle(scope, receive, send)

    async def _handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A new message, never the one passed in: layers inside may keep it.
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": client[0] if client else None,
                },
            )
            REQUEST_ID.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _ACCEPTED_ID.fullmatch(value):
            return value.decode()
    # 128 random bits: unique in practice. A request id authorises nothing, so it need not come from
    # the operating system (os.urandom, a system call: 4% of a product page's samples in py-spy).
    return f"{getrandbits(128):032x}"
