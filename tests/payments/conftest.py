"""Fixtures for the Stripe adapter tests: our fake Stripe API, and the adapter pointed at it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.payments.stripe_provider import StripePaymentProvider
from tests.payments.fake_stripe import FakeStripe

CLIENT_TIMEOUT = 1.0
HANG_SECONDS = 5.0  # longer than the client waits; released at once when the server stops


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe(hang_seconds=HANG_SECONDS) as server:
        yield server


@pytest.fixture
async def provider(fake: FakeStripe) -> AsyncIterator[StripePaymentProvider]:
    adapter = StripePaymentProvider(fake.api_key, api_base=fake.url, timeout_seconds=CLIENT_TIMEOUT)
    yield adapter
    await adapter.aclose()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused (and nobody else can take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
