"""Writing back a change of password, role or account state, and ending the sessions it ends: shared
by what a person does to their own account and what staff do to accounts."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from domain.identity import User


async def store_account_change(uow: UnitOfWork, user: User, *, sessions_ended: bool, now: datetime) -> None:
    """Write a changed account back, and when the change ended its sessions (User._change_access,
    the one rule) revoke every refresh token of the user in the same transaction. Access tokens
    issued before carry the old session version and are refused by Authenticate. Every use case
    that changes a password, a role or an account state goes through here."""
    if user.id is None:
        raise ValueError("only a stored user changes")
    await uow.users.update(user)
    if sessions_ended:
        await uow.refresh_tokens.revoke_all_for_user(user.id, now)
