"""Production's mailer: SMTP with aiosmtplib, STARTTLS when asked, within a time limit.

The server's answer decides what becomes of the message: a 4xx (greylisting, mailbox busy), a
time out, a dropped or refused connection are worth a retry; a 5xx refusal of the message or its
recipient is final. A failed login or a server without STARTTLS is the operator's to fix, not the
message's fault: retried, so the messages go out once the settings are right."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import aiosmtplib

from adapters.email.compose import compose
from application.outbox import DeliveryFailed, Email

PERMANENT_FROM = 500


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0
    tls_context: ssl.SSLContext | None = None
    """The certificates STARTTLS trusts: the system's when None."""


class SmtpMailer:
    def __init__(self, server: SmtpServer, sender: str) -> None:
        self._server = server
        self._sender = sender

    async def send(self, email: Email) -> None:
        server = self._server
        try:
            async with asyncio.timeout(server.timeout_seconds * 2):
                await aiosmtplib.send(
                    compose(email, self._sender),
                    hostname=server.host,
                    port=server.port,
                    username=server.username,
                    password=server.password,
                    start_tls=server.starttls,
                    use_tls=False,
                    timeout=server.timeout_seconds,
                    tls_context=server.tls_context,
                )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            permanent = all(r.code >= PERMANENT_FROM for r in refused.recipients)
            raise DeliveryFailed(_reply(refused.recipients[0]), permanent=permanent) from refused
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPNotSupported) as unusable:
            raise DeliveryFailed(f"the SMTP settings do not work: {unusable}", permanent=False) from unusable
        except aiosmtplib.SMTPResponseException as answer:
            raise DeliveryFailed(_reply(answer), permanent=answer.code >= PERMANENT_FROM) from answer
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as unreachable:
            reason = str(unreachable) or type(unreachable).__name__
            raise DeliveryFailed(f"{server.host}:{server.port}: {reason}", permanent=False) from unreachable


def _reply(answer: aiosmtplib.SMTPResponseException) -> str:
    return f"the SMTP server answered {answer.code} {answer.message}"
