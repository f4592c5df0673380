"""No enumeration by the clock: a reset request for an active account (which writes a token and an
email) and one for an unknown address (which writes nothing) take about the same time."""

from __future__ import annotations

import statistics
import time

from litestar import Litestar
from litestar.testing import AsyncTestClient

from application.passwords import RESET_ANSWER_AFTER
from tests.http.conftest import sign_up

ROUNDS = 5


async def test_known_and_unknown_addresses_answer_in_about_the_same_time(
    client: AsyncTestClient[Litestar],
) -> None:
    await sign_up(client, "ann@example.com")
    timings: dict[str, list[float]] = {"ann@example.com": [], "nobody@example.com": []}

    for _ in range(ROUNDS):
        for email, seen in timings.items():  # interleaved, so a slow moment hurts both alike
            began = time.perf_counter()
            response = await client.post("/auth/password-reset", json={"email": email})
            seen.append(time.perf_counter() - began)
            assert response.status_code == 202

    known, unknown = (statistics.median(seen) for seen in timings.values())
    floor = RESET_ANSWER_AFTER.total_seconds()
    assert min(known, unknown) >= floor
    assert max(known, unknown) / min(known, unknown) < 1.5, (known, unknown)
