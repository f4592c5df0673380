"""What operators see: a request id on every answer and one access-log line per request, with no
token or password anywhere in the logs."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.logs import ACCESS_LOGGER, REQUEST_ID, JsonFormatter, RequestIdFilter, logging_config
from tests.http.conftest import PASSWORD, bearer, signup_and_login

pytestmark = pytest.mark.backends("sqlite")
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/health"), ("GET", "/nowhere"), ("GET", "/auth/me"), ("DELETE", "/health")]
)
async def test_every_answer_carries_a_request_id(
    client: AsyncTestClient[Litestar], method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_a_plain_incoming_request_id_is_kept_and_echoed(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "lb-2f1c.77:a_b-9"})

    assert response.headers["x-request-id"] == "lb-2f1c.77:a_b-9"


@pytest.mark.parametrize("incoming", ["", "x" * 129, "has space", "tab\there", 'quote"d'])
async def test_an_odd_incoming_request_id_is_replaced(
    client: AsyncTestClient[Litestar], incoming: str
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": incoming})

    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_one_access_line_per_request_with_status_and_duration(
    client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    ok = await client.get("/products", headers={"X-Request-ID": "req-1"})
    missing = await client.get("/products/999", headers={"X-Request-ID": "req-2"})

    lines = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [(r.method, r.path, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("GET", "/products", ok.status_code),
        ("GET", "/products/999", missing.status_code),
    ]
    assert all(r.duration_ms >= 0 for r in lines)  # type: ignore[attr-defined]


async def test_no_token_or_password_ever_reaches_the_logs(
    client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    session = await signup_and_login(client, "ann@example.com")
    refreshed = (await client.post("/auth/refresh", json={"refresh_token": session.refresh_token})).json()
    await client.get("/auth/me", headers=bearer(refreshed["access_token"]))
    await client.post("/auth/login", json={"email": "ann@example.com", "password": "wrong password!"})
    await client.post("/auth/logout", json={"refresh_token": refreshed["refresh_token"]})

    logged = "\n".join(
        [record.getMessage() + " " + json.dumps(record.__dict__, default=str) for record in caplog.records]
    )
    secrets = [
        session.access_token,
        session.refresh_token,
        refreshed["access_token"],
        refreshed["refresh_token"],
    ]
    for secret in [*secrets, PASSWORD, "wrong password!"]:
        assert secret not in logged


def test_json_lines_carry_the_request_id_and_the_access_fields() -> None:
    record = logging.LogRecord(
        "bookshop.access", logging.INFO, __file__, 1, "%s %s %s", ("GET", "/x", 200), None
    )
    record.status = 200
    record.duration_ms = 1.5
    token = REQUEST_ID.set("req-9")
    try:
        RequestIdFilter().filter(record)
    finally:
        REQUEST_ID.reset(token)
    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "GET /x 200"
    assert (line["request_id"], line["status"], line["duration_ms"], line["level"]) == (
        "req-9",
        200,
        1.5,
        "INFO",
    )
    assert isinstance(line["pid"], int)


def test_lines_written_off_the_event_loop_keep_their_request_id_and_all_reach_the_stream() -> None:
    """The access log's handler writes from a thread of its own: each line still carries the id
    of the request that logged it, errors keep their traceback, and none is lost at exit."""
    stream = io.StringIO()
    config = logging_config(json_lines=True)
    config["handlers"]["default"] = config["handlers"]["access"]
    del config["handlers"]["access"]
    config["handlers"]["default"]["stream"] = stream
    del config["root"]
    config["loggers"] = {"test.queued": {"handlers": ["default"], "level": "INFO", "propagate": False}}
    logging.config.dictConfig(config)
    logger = logging.getLogger("test.queued")
    for n in range(200):
        token = REQUEST_ID.set(f"req-{n}")
        try:
            logger.info("line %s", n, extra={"status": 200})
        finally:
            REQUEST_ID.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    handler = logger.handlers[0]
    handler.close()
    logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["message"], line["request_id"]) for line in lines[:200]] == [
        (f"line {n}", f"req-{n}") for n in range(200)
    ]
    assert lines[200]["message"] == "failed"
    assert "ValueError: boom" in lines[200]["exception"]
