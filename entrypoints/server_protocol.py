"""The HTTP/1.1 protocol `bookshop serve` runs: uvicorn's httptools protocol with the two bounds
uvicorn 0.54 does not have.

Measured against uvicorn 0.54 (httptools and h11 alike): a 50 MB header was read whole and
answered 200 (h11 refuses past `h11_max_incomplete_event_size`, httptools has no limit), and a
connection that sent nothing, or half a request line, was never closed (`timeout_keep_alive` only
runs between a response and the next request, and the first byte of that request stops it). Here:

- a request line and headers over MAX_REQUEST_HEAD_BYTES are answered 431 and the connection closed;
- a connection has REQUEST_HEAD_TIMEOUT_SECONDS to send a request's line and headers, counted from
  when it opened or from the previous response; then it is closed (so is one idle from the start).
  Trickling a byte at a time does not extend it. Idle keep-alive connections are still closed
  after uvicorn's `timeout_keep_alive` (5 s).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_REQUEST_HEAD_BYTES = 64 * 1024
REQUEST_HEAD_TIMEOUT_SECONDS = 10.0
_HEAD_TOO_LARGE = (
    b'{"type":"urn:bookshop:problem:validation_error","title":"Request header fields too large",'
    b'"status":431,"detail":"the request line and headers are over 64 KiB","code":"validation_error"}'
)
HEAD_TOO_LARGE_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/problem+json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_HEAD_TOO_LARGE)).encode() + b"\r\n\r\n" + _HEAD_TOO_LARGE
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes: int | None = None
    """Bytes received since the connection began waiting for a request's head; None while a
    request is being read or answered."""
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_request_head()

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is None:
            super().data_received(data)
            return
        # The head must end within the room left: the parser never sees a byte past it while
        # the head is incomplete, so nothing larger is ever buffered.
        room = MAX_REQUEST_HEAD_BYTES - self._head_bytes
        head, rest = data[:room], data[room:]
        self._head_bytes += len(head)
        super().data_received(head)
        if self.transport.is_closing() or not rest:
            return
        if self._head_bytes is not None:
            self._refuse_large_head()
        else:
            self.data_received(rest)

    def on_headers_complete(self) -> None:
        self._stop_awaiting_request_head()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._await_request_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_awaiting_request_head()
        super().connection_lost(exc)

    def _refuse_large_head(self) -> None:
        self.logger.warning("Request head over %d bytes refused.", MAX_REQUEST_HEAD_BYTES)
        self._stop_awaiting_request_head()
        self.transport.write(HEAD_TOO_LARGE_RESPONSE)
        self.transport.close()

    def _await_request_head(self) -> None:
        self._stop_awaiting_request_head()
        self._head_bytes = 0
        self._head_deadline = self.loop.call_later(REQUEST_HEAD_TIMEOUT_SECONDS, self._request_head_too_slow)

    def _stop_awaiting_request_head(self) -> None:
        self._head_bytes = None
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _request_head_too_slow(self) -> None:
        self._head_deadline = None
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.transport.is_closing():
            self.transport.close()
