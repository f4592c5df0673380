"""`bookshop serve` bounds what a connection may hold: a request head over 64 KiB is refused, and a
connection that does not send a whole request head in time is closed, whether it sent half a
request line, nothing at all, or stays idle after a response."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from entrypoints.server_protocol import MAX_REQUEST_HEAD_BYTES, REQUEST_HEAD_TIMEOUT_SECONDS
from tests.entrypoints.servers import serving

HEALTH = b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n"
SLACK_SECONDS = 5.0
"""A shared CI machine may be slow to run a timer; a connection left open never closes at all."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": "memory://", "AUTH_RATE_LIMIT": "0"}
    with serving(env, tmp_path_factory.mktemp("server") / "server.log") as running:
        yield "127.0.0.1", running.port


async def _response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head + await reader.readexactly(length)


async def _send_head_with_a_header_of(address: tuple[str, int], size: int) -> bytes:
    """What the server answers (b"" if it just closed) to a request head with one header of `size`."""
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Padding: ")
        for start in range(0, size, 65536):
            writer.write(b"a" * min(65536, size - start))
            await writer.drain()
        writer.write(b"\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass  # refused while still sending: the answer may be in the socket's buffer
    try:
        return await asyncio.wait_for(reader.read(200), timeout=10)
    except ConnectionError:
        return b""
    finally:
        writer.close()


async def test_a_request_head_over_64_kib_is_refused(server: tuple[str, int]) -> None:
    for size in (MAX_REQUEST_HEAD_BYTES + 1, 50 * 1024 * 1024):
        answer = await _send_head_with_a_header_of(server, size)

        assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer


async def test_a_request_head_just_under_the_limit_is_served(server: tuple[str, int]) -> None:
    answer = await _send_head_with_a_header_of(server, MAX_REQUEST_HEAD_BYTES - 1024)

    assert answer.startswith(b"HTTP/1.1 200 "), answer


async def test_a_body_sent_with_its_head_is_not_mistaken_for_a_large_head(server: tuple[str, int]) -> None:
    body = b'{"email": "' + b"a" * (MAX_REQUEST_HEAD_BYTES - 100) + b'@example.com", "password": "x"}'
    reader, writer = await asyncio.open_connection(*server)
    writer.write(
        b"POST /auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )

    answer = await asyncio.wait_for(_response(reader), timeout=10)
    writer.close()

    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]  # the app's answer: too long an email


async def _seconds_until_closed(address: tuple[str, int], first: bytes, then: bytes) -> float:
    """Send `first` (a whole request, answered, or b""), then `then`, then nothing: how long until
    the server closes the connection."""
    reader, writer = await asyncio.open_connection(*address)
    if first:
        writer.write(first)
        assert (await _response(reader)).startswith(b"HTTP/1.1 200 ")
    writer.write(then)
    await writer.drain()
    started = time.monotonic()
    try:
        leftover = await asyncio.wait_for(reader.read(), timeout=REQUEST_HEAD_TIMEOUT_SECONDS + SLACK_SECONDS)
    except TimeoutError:
        return float("inf")
    finally:
        writer.close()
    assert leftover == b""
    return time.monotonic() - started


async def test_connections_that_do_not_send_a_request_in_time_are_closed(server: tuple[str, int]) -> None:
    cases = {
        "half a request line": (b"", b"GET /hea"),
        "nothing at all": (b"", b""),
        "headers without their end": (b"", b"GET /health HTTP/1.1\r\nHost: shop\r\n"),
        "idle after a response": (HEALTH, b""),
        "half a request line after a response": (HEALTH, b"GET /hea"),
    }

    waited = await asyncio.gather(*(_seconds_until_closed(server, *case) for case in cases.values()))

    closed_after = dict(zip(cases, waited, strict=True))
    bound = REQUEST_HEAD_TIMEOUT_SECONDS + SLACK_SECONDS
    assert all(seconds < bound for seconds in closed_after.values()), closed_after


async def test_a_byte_at_a_time_does_not_keep_a_connection_open(server: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*server)
    started = time.monotonic()
    closed = False
    for byte in b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Slow: " + b"a" * 100:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
            if await asyncio.wait_for(reader.read(1), timeout=1) == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
            break
    writer.close()

    assert closed
    assert time.monotonic() - started < REQUEST_HEAD_TIMEOUT_SECONDS + SLACK_SECONDS
