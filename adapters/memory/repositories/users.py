"""Users: one account per email."""

from __future__ import annotations

from dataclasses import replace

from adapters.memory.store import MemoryStore, Tables
from application.errors import EmailTaken
from domain.identity import User


class MemoryUserRepository:
    def __init__(self, tables: Tables, store: MemoryStore) -> None:
        self._users = tables.users
        self._store = store

    async def add(self, user: User) -> User:
        if any(existing.email == user.email for existing in self._users.values()):
            raise EmailTaken()
        user.id = self._store.next_id("users")
        self._users[user.id] = replace(user)
        return user

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """for_update needs no lock here: a memory unit of work holds the whole store already."""
        user = self._users.get(user_id)
        return replace(user) if user else None

    async def get_by_email(self, email: str, *, for_update: bool = False) -> User | None:
        for user in self._users.values():
            if user.email == email:
                return replace(user)
        return None

    async def update(self, user: User) -> None:
        if user.id not in self._users:
            raise LookupError(f"user {user.id} is not stored")
        self._users[user.id] = replace(user)
