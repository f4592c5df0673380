"""GET /admin/users and PATCH /admin/users/{id}: listing, deactivation, roles, no self-lockout."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response

from entrypoints.container import Container
from tests.http.catalog_helpers import USER_KEYS, Client, Json, get_page, make_admin
from tests.http.conftest import (
    Session,
    assert_problem,
    bearer,
    error_fields,
    log_in,
    media_type,
    refused_before_any_store,
    signup_and_login,
)


@pytest.fixture
async def admin(client: Client, container: Container) -> Session:
    return await make_admin(client, container)


@pytest.fixture
async def ann(client: Client, admin: Session) -> Session:
    return await signup_and_login(client, "ann@example.com")


async def users(client: Client, admin: Session, **params: Any) -> Json:
    return await get_page(client, "/admin/users", params, bearer(admin.access_token))


async def patch_user(client: Client, admin: Session, user_id: int, body: Any) -> Response:
    return await client.patch(f"/admin/users/{user_id}", json=body, headers=bearer(admin.access_token))


async def refresh(client: Client, refresh_token: str) -> Response:
    return await client.post("/auth/refresh", json={"refresh_token": refresh_token})


async def signed_in_again(client: Client, session: Session) -> Session:
    """A new session for the user (their earlier ones ended with a change of their role)."""
    pair = await log_in(client, session.email)
    return Session(session.user_id, session.email, str(pair["access_token"]), str(pair["refresh_token"]))


# --- GET /admin/users ----------------------------------------------------------------------------


async def test_users_are_listed_by_id_without_secrets(client: Client, admin: Session, ann: Session) -> None:
    bob = await signup_and_login(client, "bob@example.com")

    page = await users(client, admin)

    assert page["total"] == 3
    assert (page["limit"], page["offset"]) == (20, 0)
    assert [user["id"] for user in page["items"]] == [admin.user_id, ann.user_id, bob.user_id]
    for user in page["items"]:
        assert set(user) == USER_KEYS
    assert [user["email"] for user in page["items"]] == [admin.email, ann.email, bob.email]
    assert [user["role"] for user in page["items"]] == ["ADMIN", "USER", "USER"]
    assert "hash" not in str(page).lower()


async def test_users_page(client: Client, admin: Session) -> None:
    others = [await signup_and_login(client, f"user{n}@example.com") for n in range(4)]
    everyone = [admin.user_id, *(other.user_id for other in others)]

    first = await users(client, admin, limit=2)
    last = await users(client, admin, limit=2, offset=4)
    past = await users(client, admin, limit=2, offset=9)

    assert [user["id"] for user in first["items"]] == everyone[:2]
    assert [user["id"] for user in last["items"]] == everyone[4:]
    assert (first["total"], last["total"], past["total"]) == (5, 5, 5)
    assert past["items"] == []


async def test_the_is_active_filter(client: Client, admin: Session, ann: Session) -> None:
    bob = await signup_and_login(client, "bob@example.com")
    assert (await patch_user(client, admin, ann.user_id, {"is_active": False})).status_code == 200

    active = await users(client, admin, is_active="true")
    inactive = await users(client, admin, is_active="false")

    assert [user["id"] for user in active["items"]] == [admin.user_id, bob.user_id]
    assert active["total"] == 2
    assert [user["id"] for user in inactive["items"]] == [ann.user_id]
    assert inactive["total"] == 1
    assert inactive["items"][0]["is_active"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"is_active": "perhaps"}, "is_active"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
@refused_before_any_store
async def test_bad_query_parameters_are_validation_errors(
    client: Client, admin: Session, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/admin/users", params=params, headers=bearer(admin.access_token))

    assert field in error_fields(assert_problem(response, 400, "validation_error"))


# --- deactivating and reactivating ---------------------------------------------------------------


async def test_deactivating_answers_the_user_and_locks_them_out(
    client: Client, admin: Session, ann: Session
) -> None:
    response = await patch_user(client, admin, ann.user_id, {"is_active": False})

    assert response.status_code == 200
    assert media_type(response) == "application/json"
    user = response.json()
    assert set(user) == USER_KEYS
    assert (user["id"], user["email"], user["role"], user["is_active"]) == (
        ann.user_id,
        ann.email,
        "USER",
        False,
    )
    assert_problem(await client.get("/auth/me", headers=bearer(ann.access_token)), 403, "account_inactive")
    assert_problem(await refresh(client, ann.refresh_token), 403, "account_inactive")
    login = await client.post(
        "/auth/login", json={"email": ann.email, "password": "correct horse battery staple"}
    )
    assert_problem(login, 403, "account_inactive")


async def test_deactivating_revokes_every_refresh_token_for_good(
    client: Client, admin: Session, ann: Session
) -> None:
    second = await log_in(client, ann.email)

    await patch_user(client, admin, ann.user_id, {"is_active": False})
    response = await patch_user(client, admin, ann.user_id, {"is_active": True})

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    # Active again, yet the sessions opened before the deactivation are over.
    assert_problem(await refresh(client, ann.refresh_token), 401, "invalid_refresh_token")
    assert_problem(await refresh(client, str(second["refresh_token"])), 401, "invalid_refresh_token")


async def test_reactivating_restores_login(client: Client, admin: Session, ann: Session) -> None:
    await patch_user(client, admin, ann.user_id, {"is_active": False})

    await patch_user(client, admin, ann.user_id, {"is_active": True})

    pair = await log_in(client, ann.email)
    me = await client.get("/auth/me", headers=bearer(str(pair["access_token"])))
    assert me.status_code == 200
    assert me.json()["is_active"] is True
    assert (await refresh(client, str(pair["refresh_token"]))).status_code == 200


async def test_deactivating_leaves_other_users_alone(client: Client, admin: Session, ann: Session) -> None:
    bob = await signup_and_login(client, "bob@example.com")

    await patch_user(client, admin, ann.user_id, {"is_active": False})

    assert (await client.get("/auth/me", headers=bearer(bob.access_token))).status_code == 200
    assert (await refresh(client, bob.refresh_token)).status_code == 200


# --- roles ---------------------------------------------------------------------------------------


async def test_promoting_ends_the_sessions_opened_as_a_user(
    client: Client, admin: Session, ann: Session
) -> None:
    assert_problem(await client.get("/admin/users", headers=bearer(ann.access_token)), 403, "forbidden")

    response = await patch_user(client, admin, ann.user_id, {"role": "ADMIN"})

    assert response.status_code == 200
    assert response.json()["role"] == "ADMIN"
    assert_problem(await client.get("/admin/users", headers=bearer(ann.access_token)), 401, "unauthorized")
    assert_problem(await client.get("/auth/me", headers=bearer(ann.access_token)), 401, "unauthorized")
    assert_problem(await refresh(client, ann.refresh_token), 401, "invalid_refresh_token")
    again = await log_in(client, ann.email)
    assert (await client.get("/admin/users", headers=bearer(str(again["access_token"])))).status_code == 200


async def test_demoting_ends_the_sessions_opened_as_an_admin(
    client: Client, admin: Session, ann: Session
) -> None:
    await patch_user(client, admin, ann.user_id, {"role": "ADMIN"})
    as_admin = await log_in(client, ann.email)
    assert (
        await client.get("/admin/products", headers=bearer(str(as_admin["access_token"])))
    ).status_code == 200

    response = await patch_user(client, admin, ann.user_id, {"role": "USER"})

    assert response.status_code == 200
    assert response.json()["role"] == "USER"
    assert_problem(
        await client.get("/admin/products", headers=bearer(str(as_admin["access_token"]))),
        401,
        "unauthorized",
    )
    assert_problem(await refresh(client, str(as_admin["refresh_token"])), 401, "invalid_refresh_token")
    again = await log_in(client, ann.email)
    assert_problem(
        await client.get("/admin/products", headers=bearer(str(again["access_token"]))), 403, "forbidden"
    )


async def test_an_admin_can_demote_another_admin_who_then_cannot_demote_back(
    client: Client, admin: Session, ann: Session
) -> None:
    await patch_user(client, admin, ann.user_id, {"role": "ADMIN"})
    ann_as_admin = await signed_in_again(client, ann)

    assert (await patch_user(client, ann_as_admin, admin.user_id, {"role": "USER"})).status_code == 200

    admin_as_user = await signed_in_again(client, admin)
    assert_problem(await patch_user(client, admin_as_user, ann.user_id, {"role": "USER"}), 403, "forbidden")


async def test_deactivated_then_reactivated_the_old_access_token_stays_refused(
    client: Client, admin: Session, ann: Session
) -> None:
    await patch_user(client, admin, ann.user_id, {"is_active": False})
    await patch_user(client, admin, ann.user_id, {"is_active": True})

    assert_problem(await client.get("/auth/me", headers=bearer(ann.access_token)), 401, "unauthorized")


@pytest.mark.parametrize(
    "body",
    [{"role": "USER"}, {"is_active": True}, {"role": "USER", "is_active": True}, {}],
    ids=repr,
)
async def test_a_patch_that_changes_nothing_ends_no_session(
    client: Client, admin: Session, ann: Session, body: Json
) -> None:
    response = await patch_user(client, admin, ann.user_id, body)

    assert response.status_code == 200
    assert (await client.get("/auth/me", headers=bearer(ann.access_token))).status_code == 200
    assert (await refresh(client, ann.refresh_token)).status_code == 200


async def test_a_change_of_one_user_leaves_the_admin_and_the_others_signed_in(
    client: Client, admin: Session, ann: Session
) -> None:
    bob = await signup_and_login(client, "bob@example.com")

    await patch_user(client, admin, ann.user_id, {"role": "ADMIN", "is_active": False})

    for other in (admin, bob):
        assert (await client.get("/auth/me", headers=bearer(other.access_token))).status_code == 200
        assert (await refresh(client, other.refresh_token)).status_code == 200


async def test_role_and_activity_change_together(client: Client, admin: Session, ann: Session) -> None:
    response = await patch_user(client, admin, ann.user_id, {"role": "ADMIN", "is_active": False})

    assert response.status_code == 200
    assert (response.json()["role"], response.json()["is_active"]) == ("ADMIN", False)


async def test_an_empty_patch_changes_nothing(client: Client, admin: Session, ann: Session) -> None:
    before = (await users(client, admin))["items"]

    response = await patch_user(client, admin, ann.user_id, {})

    assert response.status_code == 200
    assert (await users(client, admin))["items"] == before


# --- no self-lockout -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"is_active": False},
        {"role": "USER"},
        {"role": "USER", "is_active": True},
        {"role": "ADMIN", "is_active": False},
    ],
    ids=repr,
)
async def test_an_admin_cannot_deactivate_or_demote_themself(
    client: Client, admin: Session, body: Json
) -> None:
    response = await patch_user(client, admin, admin.user_id, body)

    assert_problem(response, 409, "conflict")
    me = await client.get("/auth/me", headers=bearer(admin.access_token))
    assert (me.json()["role"], me.json()["is_active"]) == ("ADMIN", True)
    assert (await refresh(client, admin.refresh_token)).status_code == 200


async def test_an_admin_may_confirm_their_own_role_and_activity(client: Client, admin: Session) -> None:
    response = await patch_user(client, admin, admin.user_id, {"role": "ADMIN", "is_active": True})

    assert response.status_code == 200
    assert (response.json()["role"], response.json()["is_active"]) == ("ADMIN", True)


# --- refused requests ----------------------------------------------------------------------------


async def test_an_unknown_user_is_not_found(client: Client, admin: Session, ann: Session) -> None:
    response = await patch_user(client, admin, ann.user_id + 1000, {"is_active": False})

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("user_id", ["0", "-3"])
@refused_before_any_store
async def test_an_id_below_one_is_a_validation_error(client: Client, admin: Session, user_id: str) -> None:
    response = await client.patch(
        f"/admin/users/{user_id}", json={"is_active": False}, headers=bearer(admin.access_token)
    )

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "evil@example.com"),
        ("password", "new password 123"),
        ("password_hash", "$argon2id$x"),
        ("id", 99),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
@refused_before_any_store
async def test_an_unknown_field_is_refused_and_changes_nothing(
    client: Client, admin: Session, ann: Session, field: str, value: object
) -> None:
    before = (await users(client, admin))["items"]

    response = await patch_user(client, admin, ann.user_id, {"role": "ADMIN", field: value})

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await users(client, admin))["items"] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "SUPERUSER"}, "role"),
        ({"role": "admin"}, "role"),
        ({"role": ""}, "role"),
        ({"role": None}, "role"),
        ({"role": 1}, "role"),
        ({"is_active": "nope"}, "is_active"),
        ({"is_active": None}, "is_active"),
    ],
    ids=repr,
)
@refused_before_any_store
async def test_a_bad_value_is_a_validation_error_naming_the_field(
    client: Client, admin: Session, ann: Session, body: Json, field: str
) -> None:
    before = (await users(client, admin))["items"]

    response = await patch_user(client, admin, ann.user_id, body)

    assert field in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await users(client, admin))["items"] == before


@pytest.mark.parametrize("body", [{"is_active": "false"}, {"is_active": 0}], ids=repr)
@refused_before_any_store
async def test_a_flag_of_another_json_type_is_refused_not_coerced(
    client: Client, admin: Session, ann: Session, body: Json
) -> None:
    response = await patch_user(client, admin, ann.user_id, body)

    assert "is_active" in error_fields(assert_problem(response, 400, "validation_error"))
    assert (await client.get("/auth/me", headers=bearer(ann.access_token))).status_code == 200
