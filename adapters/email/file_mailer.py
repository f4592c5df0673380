"""Development's mailer: one .eml file per message in a folder (./var/mail/ by default), which any
mail program opens; nothing leaves the machine."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

from adapters.email.compose import compose
from application.outbox import DeliveryFailed, Email


class FileMailer:
    def __init__(self, folder: Path, sender: str) -> None:
        self._folder = folder
        self._sender = sender

    async def send(self, email: Email) -> None:
        try:
            await asyncio.to_thread(self._write, email)
        except OSError as error:
            raise DeliveryFailed(f"could not write to {self._folder}: {error}", permanent=False) from error

    def _write(self, email: Email) -> None:
        """Written under a temporary name, then renamed: a reader never sees half a message. The
        same message twice is one file (named by its id)."""
        self._folder.mkdir(parents=True, exist_ok=True)
        if any(self._folder.glob(f"*-{email.message_id}.eml")):
            return
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = self._folder / f"{stamp}-{email.message_id}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(bytes(compose(email, self._sender)))
        os.replace(partial, target)
