"""Passwords (argon2, hashed in a worker thread) and access tokens (PyJWT, HS256)."""

from datetime import UTC, datetime, timedelta
from functools import cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

from fastapi_app.config import Settings
from fastapi_app.schemas import parse_id

JWT_ALGORITHM = "HS256"

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), the same in all three
# apps; argon2-cffi's default (64 MiB, 3 passes, 4 lanes) costs several times more CPU per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class TokenExpiredError(Exception):
    """The token was valid once but its `exp` has passed."""


class TokenInvalidError(Exception):
    """The token is malformed, forged, unsigned (alg none) or lacks a required claim."""


async def hash_password(password: str) -> str:
    """The argon2 hash to store for `password`, computed in a worker thread: argon2 takes tens
    of milliseconds and would block the loop."""
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash, in a worker thread. None (no such account) checks
    against a stand-in hash and fails, so an unknown email takes as long as a wrong password
    and does not reveal which emails exist."""
    if password_hash is None:
        await run_in_threadpool(_verify, _dummy_hash(), password)
        return False
    return await run_in_threadpool(_verify, password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def create_access_token(user_id: int, settings: Settings) -> str:
    """Sign a token with exactly the claims sub (user id as a string), iat and exp."""
    issued_at = datetime.now(UTC)
    expires_at = issued_at + timedelta(seconds=settings.jwt_ttl_seconds)
    claims = {"sub": str(user_id), "iat": issued_at, "exp": expires_at}
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> int:
    """Return the user id in a token signed by us with HS256, or raise TokenExpiredError /
    TokenInvalidError."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpiredError from exc
    except jwt.InvalidTokenError as exc:
        raise TokenInvalidError from exc
    user_id = parse_id(claims["sub"])
    if user_id is None:
        raise TokenInvalidError
    return user_id
