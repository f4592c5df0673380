"""Access tokens as JWTs (PyJWT), refresh tokens as opaque random strings stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import jwt

from application.errors import InvalidAccessToken
from application.ports import AccessClaims
from domain.identity import Role, User

ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret
REFRESH_TOKEN_BYTES = 32


MAX_ID = 2**63 - 1
LATEST_TIMESTAMP = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
"""`exp` and `iat` beyond the last second a datetime can hold are no times at all."""
SESSION_VERSION_CLAIM = "sv"


def _user_id(subject: object) -> int | None:
    """The user id in `sub`: a decimal string of an id the database can hold, else None."""
    if not isinstance(subject, str) or not (subject.isascii() and subject.isdigit()):
        return None
    user_id = int(subject)
    return user_id if 0 < user_id <= MAX_ID else None


def _timestamp(value: object) -> float | None:
    """A NumericDate (RFC 7519) a datetime can hold, else None. PyJWT accepts a numeric string or a
    number far past year 9999 and leaves the rest to us."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if 0 <= value <= LATEST_TIMESTAMP else None


def _session_version(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_ID else None


class JwtTokenService:
    def __init__(self, secret: str, *, access_token_ttl_seconds: int, algorithm: str = "HS256") -> None:
        if algorithm not in {"HS256", "HS384", "HS512"}:
            raise ValueError(f"unsupported JWT algorithm {algorithm!r}")
        self._secret = secret
        self._algorithm = algorithm
        self._ttl = access_token_ttl_seconds

    @property
    def access_token_ttl_seconds(self) -> int:
        return self._ttl

    def issue_access_token(self, user: User, now: datetime) -> str:
        issued_at = int(now.timestamp())
        claims = {
            "sub": str(user.id),
            "role": user.role.value,
            "type": ACCESS_TOKEN_TYPE,
            "iat": issued_at,
            "exp": issued_at + self._ttl,
            "jti": uuid.uuid4().hex,
            SESSION_VERSION_CLAIM: user.session_version,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def read_access_token(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": ["exp", "iat", "sub", "type", "jti", SESSION_VERSION_CLAIM]},
            )
        except jwt.PyJWTError as error:
            raise InvalidAccessToken() from error
        if claims.get("type") != ACCESS_TOKEN_TYPE:
            raise InvalidAccessToken("this is not an access token")
        user_id, role = _user_id(claims.get("sub")), claims.get("role")
        expires, issued = _timestamp(claims.get("exp")), _timestamp(claims.get("iat"))
        version = _session_version(claims.get(SESSION_VERSION_CLAIM))
        if user_id is None or expires is None or issued is None or version is None:
            raise InvalidAccessToken()
        if role not in {r.value for r in Role}:
            raise InvalidAccessToken()
        return AccessClaims(
            user_id=user_id,
            role=Role(role),
            expires_at=datetime.fromtimestamp(expires, UTC),
            session_version=version,
        )

    def new_refresh_token(self) -> str:
        return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)

    def hash_refresh_token(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
