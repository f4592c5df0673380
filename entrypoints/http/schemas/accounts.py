from __future__ import annotations

from typing import Literal

import msgspec

from application.queries import Page
from domain.identity import User
from entrypoints.http.schemas.identity import UserResponse


class UserPage(msgspec.Struct, kw_only=True):
    items: list[UserResponse]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[User]) -> UserPage:
        return cls(
            items=[UserResponse.of(user) for user in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )


class UpdateUserRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Any of the fields. Deactivating revokes every refresh token of the user."""

    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    role: Literal["USER", "ADMIN"] | msgspec.UnsetType = msgspec.UNSET
