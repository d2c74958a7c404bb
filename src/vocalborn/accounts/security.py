"""Password hashing (argon2 via pwdlib) and JWT access tokens (HS256)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

from vocalborn.accounts.models import Role

_hasher = PasswordHash.recommended()
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "role", "exp", "iat", "type"]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a corrupt stored hash must read as "wrong password", not a 500
        return False


# A real hash to verify against when the e-mail is unknown, so login takes the same time
# whether or not the account exists.
DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    role: Role


def create_access_token(user_id: uuid.UUID, role: Role, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id),
        "role": role.value,
        "type": "access",
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


class InvalidToken(Exception):
    pass


def decode_access_token(token: str, secret: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
        if payload.get("type") != "access":
            raise InvalidToken("not an access token")
        return TokenClaims(user_id=uuid.UUID(payload["sub"]), role=Role(payload["role"]))
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise InvalidToken("invalid token") from exc
