"""The mailers and the templates against what a person or a mail server sees: the file mailer's
.eml opens in any mail program; the SMTP mailer, against a real SMTP server (aiosmtpd), tells a
refusal worth retrying from a final one, and never waits longer than its time limit."""

from __future__ import annotations

import ssl
import subprocess
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapters.email.file_mailer import FileMailer
from adapters.email.smtp_mailer import SmtpMailer, SmtpServer
from adapters.email.templates import JinjaMessageRenderer
from application.outbox import DeliveryFailed, Email, RenderingFailed
from tests.messaging import HANG, SmtpSink, smtp_sink
from tests.outages import free_port

SENDER = "Bookshop <shop@bookshop.test>"
EMAIL = Email(
    message_id="0b5e3a52-6f7c-4d16-9d0e-4b8f8f6f2a10",
    recipient="ann@example.com",
    subject="Welcome to the Bookshop",
    text="Hello Ann\n",
    html="<p>Hello <b>Ann</b></p>",
)


def _parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def test_the_file_mailer_writes_one_eml_a_mail_program_can_open(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "mail", SENDER)

    await mailer.send(EMAIL)
    await mailer.send(EMAIL)  # the same message again: still one file

    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    parsed = _parse(files[0].read_bytes())
    assert parsed["To"] == "ann@example.com"
    assert parsed["From"] == SENDER
    assert parsed["Subject"] == "Welcome to the Bookshop"
    assert parsed["Message-ID"] == f"<{EMAIL.message_id}@bookshop.test>"
    text, html = (parsed.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    assert text.get_content() == "Hello Ann\n"
    assert "<b>Ann</b>" in html.get_content()


def test_the_welcome_templates_write_text_and_escaped_html_with_links_from_the_shop_url() -> None:
    renderer = JinjaMessageRenderer("https://shop.example.com/")

    rendered = renderer.render("welcome", {"email": "<ann>@example.com"})

    assert rendered.subject == "Welcome to the Bookshop"
    assert "Your Bookshop account for <ann>@example.com was created." in rendered.text
    assert "https://shop.example.com/products" in rendered.text
    assert rendered.html is not None
    assert "&lt;ann&gt;@example.com" in rendered.html
    assert 'href="https://shop.example.com/products"' in rendered.html


@pytest.mark.parametrize(("kind", "context"), [("no_such_kind", {}), ("../welcome", {}), ("welcome", {})])
def test_a_kind_without_templates_or_a_context_that_does_not_fit_is_a_rendering_failure(
    kind: str, context: dict[str, str]
) -> None:
    with pytest.raises(RenderingFailed):
        JinjaMessageRenderer("http://shop.test").render(kind, context)


def _mailer(sink_port: int, *, timeout: float = 5.0, **server: object) -> SmtpMailer:
    return SmtpMailer(
        SmtpServer(host="127.0.0.1", port=sink_port, timeout_seconds=timeout, **server),  # type: ignore[arg-type]
        SENDER,
    )


async def test_the_smtp_mailer_hands_the_message_over_with_its_message_id() -> None:
    with smtp_sink() as sink:
        await _mailer(sink.port).send(EMAIL)

    assert sink.accepted == [f"<{EMAIL.message_id}@bookshop.test>"]
    assert _parse(sink.messages[0])["Subject"] == "Welcome to the Bookshop"


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [("451 4.3.0 try again later", False), ("421 4.7.0 closing", False), ("550 5.1.1 no such user", True)],
)
async def test_a_4xx_is_worth_a_retry_and_a_5xx_is_final(reply: str, permanent: bool) -> None:
    with smtp_sink(reply) as sink, pytest.raises(DeliveryFailed) as failed:
        await _mailer(sink.port).send(EMAIL)

    assert failed.value.permanent is permanent
    assert reply.split(maxsplit=1)[0] in str(failed.value)
    assert sink.accepted == []


async def test_a_server_that_does_not_answer_in_time_is_worth_a_retry() -> None:
    with smtp_sink(HANG, hang_seconds=3) as sink:
        started = time.monotonic()
        with pytest.raises(DeliveryFailed) as failed:
            await _mailer(sink.port, timeout=0.5).send(EMAIL)
        waited = time.monotonic() - started

    assert not failed.value.permanent
    assert waited < 2


async def test_a_refused_connection_is_worth_a_retry() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await _mailer(free_port(), timeout=1).send(EMAIL)

    assert not failed.value.permanent


def _certificate(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - openssl from PATH
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


async def test_starttls_with_credentials(tmp_path: Path) -> None:
    """The password goes over TLS only: the server refuses to log anyone in before STARTTLS."""
    key, cert = _certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticate(*args: object) -> AuthResult:
        auth_data = args[-1]
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    sink = SmtpSink(port=free_port())
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=str(cert))
        mailer = _mailer(sink.port, username="shop", password="s3cret", starttls=True, tls_context=client_tls)
        await mailer.send(EMAIL)
    finally:
        controller.stop()

    assert logins == [("shop", "s3cret")]
    assert len(sink.accepted) == 1
