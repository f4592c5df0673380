"""One email as the standard library writes it: the same bytes whether it goes to a file or over
SMTP."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from application.outbox import Email


def compose(email: Email, sender: str) -> EmailMessage:
    """Plain text, with the HTML as an alternative when there is one. The outbox message's id is
    the Message-ID: a message sent twice is recognisably the same message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(email.message_id, sender)
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


def message_id(outbox_id: str, sender: str) -> str:
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2] or "bookshop.invalid"
    return f"<{outbox_id}@{domain}>"
