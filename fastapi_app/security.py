"""Passwords (argon2, hashed in a worker thread) and access tokens (PyJWT, HS256).

Tokens carry exactly the claims sub/iat/exp/pwv, pwv being the password stamp: a password
change makes every earlier token stale but the one that made the change (as Django's
update_session_auth_hash keeps the session that changed the password), which the user row
knows by a digest (password_change_digest). dependencies.py turns any failure into the one 401
"is invalid", whatever the reason (expired, forged, stale, unknown user).
"""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

from fastapi_app.config import Settings
from fastapi_app.models import User
from fastapi_app.schemas import parse_id

JWT_ALGORITHM = "HS256"
CLAIMS = ["sub", "iat", "exp", "pwv"]

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), the same in all three
# apps; argon2-cffi's default (64 MiB, 3 passes, 4 lanes) costs several times more CPU per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class TokenInvalidError(Exception):
    """The token is malformed, forged, unsigned (alg none), signed with another algorithm,
    expired or lacks a required claim."""


class TokenClaims(NamedTuple):
    """What a verified token says: whose it is and the password stamp it was issued under."""

    user_id: int
    password_stamp: str


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


def password_stamp(user: User, settings: Settings) -> str:
    """The token claim `pwv`: an HMAC of the user's password hash under the secret key. Every
    password change stores a new hash (a new salt, even for the same password), so it changes
    the stamp and the tokens issued before stop matching, exactly, with no clock involved."""
    key = settings.secret_key.encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()


def password_change_digest(token: str, password_hash: str) -> str:
    """What a user row keeps of the token that changed its password to `password_hash`: a
    SHA-256, never the token, so a copy of the database signs no one in. Bound to the new hash,
    so any later change of the password (from another token, the admin, the CLI) ends it."""
    return hashlib.sha256(f"{password_hash}\n{token}".encode()).hexdigest()


def create_access_token(user: User, settings: Settings) -> str:
    """Sign a token with exactly the claims sub (user id as a string), iat, exp and pwv: valid
    for JWT_TTL_SECONDS and until the password changes."""
    issued_at = datetime.now(UTC)
    expires_at = issued_at + timedelta(seconds=settings.jwt_ttl_seconds)
    claims = {
        "sub": str(user.id),
        "iat": issued_at,
        "exp": expires_at,
        "pwv": password_stamp(user, settings),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> TokenClaims:
    """The claims of a token signed by us with HS256 (and no other algorithm) that has not
    expired, or TokenInvalidError."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[JWT_ALGORITHM],
            options={"require": CLAIMS},
        )
    except jwt.InvalidTokenError as exc:  # ExpiredSignatureError included
        raise TokenInvalidError from exc
    user_id = parse_id(claims["sub"])
    if user_id is None:
        raise TokenInvalidError
    return TokenClaims(user_id=user_id, password_stamp=str(claims["pwv"]))


def stamp_matches(claims: TokenClaims, user: User, settings: Settings) -> bool:
    """Whether the token was issued under the user's current password (constant time)."""
    current = password_stamp(user, settings)
    return hmac.compare_digest(claims.password_stamp.encode(), current.encode())


def changed_the_password(token: str, user: User) -> bool:
    """Whether `token` made the user's latest password change, which leaves it valid (constant
    time)."""
    digest = user.password_change_token_digest
    if digest is None:
        return False
    current = password_change_digest(token, user.password_hash)
    return hmac.compare_digest(digest.encode(), current.encode())
