"""The catalogue version of the in-memory store: a counter that its commits move on."""

from __future__ import annotations

from adapters.memory.store import MemoryStore


class MemoryCatalogueVersion:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def current(self) -> int:
        return self._store.catalogue_version
