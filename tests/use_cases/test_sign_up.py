from __future__ import annotations

import pytest

from application.errors import EmailTaken
from application.ports import UnitOfWorkFactory
from domain.errors import InvalidValue
from domain.identity import Role
from tests.use_cases.conftest import Identity


async def test_a_new_account_is_an_active_user_with_a_normalized_email(
    identity: Identity, uow: UnitOfWorkFactory
) -> None:
    user = await identity.sign_up("  Ann.Reader@Example.COM ", "correct horse")

    assert user.id is not None
    async with uow() as tx:
        stored = await tx.users.get(user.id)
    assert stored is not None
    assert stored.email == "ann.reader@example.com"
    assert stored.role is Role.USER
    assert stored.is_active
    assert "correct horse" not in stored.password_hash
    assert stored.password_hash.startswith("$argon2id$")


async def test_an_email_is_taken_whatever_its_case(identity: Identity) -> None:
    await identity.sign_up("ann@example.com", "correct horse")

    with pytest.raises(EmailTaken):
        await identity.sign_up("ANN@example.com", "another password")


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", "correct horse", "email"),
        ("ann@", "correct horse", "email"),
        ("a" * 250 + "@x.io", "correct horse", "email"),
        ("ann@example.com", "short", "password"),
        ("ann@example.com", "x" * 129, "password"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    identity: Identity, uow: UnitOfWorkFactory, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await identity.sign_up(email, password)

    assert refused.value.field == field
    async with uow() as tx:
        assert await tx.users.get_by_email("ann@example.com") is None
