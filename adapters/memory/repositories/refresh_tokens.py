"""Refresh tokens: each consumed once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.memory.store import MemoryStore, Tables
from domain.identity import RefreshToken


class MemoryRefreshTokenRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._tokens = tables.refresh_tokens
        self._store = store

    async def add(self, token: RefreshToken) -> None:
        if token.token_hash in self._tokens:
            raise ValueError("duplicate refresh token hash")
        token.id = self._store.next_id("refresh_tokens")
        self._tokens[token.token_hash] = replace(token)

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        token = self._tokens.get(token_hash)
        return replace(token) if token else None

    async def consume(self, token_hash: str, now: datetime) -> bool:
        token = self._tokens.get(token_hash)
        if token is None or not token.is_live(now):
            return False
        self._tokens[token_hash] = replace(token, revoked_at=now)
        return True

    async def revoke(self, token_hash: str, now: datetime) -> None:
        token = self._tokens.get(token_hash)
        if token is not None and not token.is_revoked:
            self._tokens[token_hash] = replace(token, revoked_at=now)

    async def revoke_all_for_user(self, user_id: int, now: datetime) -> int:
        live = [t for t in self._tokens.values() if t.user_id == user_id and t.is_live(now)]
        for token in live:
            self._tokens[token.token_hash] = replace(token, revoked_at=now)
        return len(live)
