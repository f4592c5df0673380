"""Password-reset and email-verification tokens: each used once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import MemoryStore, Tables
from domain.account_tokens import AccountToken, TokenPurpose


class MemoryAccountTokenRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._tokens = tables.account_tokens
        self._store = store

    async def add(self, token: AccountToken) -> None:
        if token.token_hash in self._tokens:
            raise ValueError("duplicate account token hash")
        token.id = self._store.next_id("account_tokens")
        self._tokens[token.token_hash] = replace(token)

    async def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> AccountToken | None:
        token = self._tokens.get(token_hash)
        if token is None or token.purpose is not purpose or not token.is_usable(now):
            return None
        used = replace(token, used_at=now)
        self._tokens[token_hash] = used
        return replace(used)
