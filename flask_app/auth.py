"""Token to user: passwords (argon2), JWT issuing and checking, and the decorators that set
`g.current_user`.

`Authorization: Token <jwt>` (or `Bearer <jwt>`), HS256 only, claims exactly sub/iat/exp/pwv,
pwv being the password stamp: a password change makes every earlier token stale but the one
that made the change (as Django's update_session_auth_hash keeps the session that changed the
password), which the user row knows by a digest (password_change_digest). A missing header
is "is missing"; a header that is present but wrong is always a 401, even on endpoints where
authentication is optional, so a client never silently becomes anonymous. Every wrong
token is "is invalid", whatever the reason (expired, forged, stale, unknown user): the body
tells a holder of a stolen or old token nothing more.
"""

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache, wraps
from typing import ParamSpec, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from sqlalchemy import bindparam, select

from flask_app.errors import UnauthorizedError
from flask_app.extensions import db
from flask_app.models import User
from flask_app.schemas import parse_id

ALGORITHM = "HS256"
CLAIMS = ["sub", "iat", "exp", "pwv"]
SCHEMES = {"token", "bearer"}

P = ParamSpec("P")
R = TypeVar("R")

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), the same in all three
# apps; argon2-cffi's default (64 MiB, 3 passes, 4 lanes) costs several times more CPU per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    """The argon2 hash to store for `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash. None (no such account) checks against a stand-in
    hash and fails, so an unknown email takes as long as a wrong password and does not reveal
    which emails exist."""
    if password_hash is None:
        _verify(_dummy_hash(), password)
        return False
    return _verify(password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def password_stamp(user: User) -> str:
    """The token claim `pwv`: an HMAC of the user's password hash under SECRET_KEY. Every
    password change stores a new hash (a new salt, even for the same password), so it changes
    the stamp and the tokens issued before stop matching, exactly, with no clock involved."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()


def password_change_digest(token: str, password_hash: str) -> str:
    """What a user row keeps of the token that changed its password to `password_hash`: a
    SHA-256, never the token, so a copy of the database signs no one in. Bound to the new hash,
    so any later change of the password (from another token, the admin, the CLI) ends it."""
    return hashlib.sha256(f"{password_hash}\n{token}".encode()).hexdigest()


def issue_token(user: User) -> str:
    """A fresh signed token for `user`, valid for JWT_TTL_SECONDS and until the password
    changes."""
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "iat": now,
        "exp": now + timedelta(seconds=current_app.config["JWT_TTL_SECONDS"]),
        "pwv": password_stamp(user),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def _token_from_header() -> str | None:
    """The raw token from the Authorization header; None when there is no header."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() not in SCHEMES:
        raise UnauthorizedError("is invalid")
    return parts[1]


# The caller's row, one statement built once: session.get() would build its SELECT (and the
# cache key SQLAlchemy looks its compiled SQL up by) on every request; see services.py.
USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def _user_from_token(token: str) -> User:
    """Verify the token (signature, algorithm, expiry, claims) and load its user, whose password
    must not have changed since, unless by this very token; any failure is the one 401 "is
    invalid"."""
    try:
        claims = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": CLAIMS},
        )
    except jwt.InvalidTokenError:  # ExpiredSignatureError included
        raise UnauthorizedError("is invalid") from None
    user_id = parse_id(claims["sub"])
    user = db.session.scalar(USER_BY_ID, {"user_id": user_id}) if user_id is not None else None
    if user is None:
        raise UnauthorizedError("is invalid")
    if not (stamp_matches(claims["pwv"], user) or changed_the_password(token, user)):
        raise UnauthorizedError("is invalid")
    return user


def stamp_matches(claim: object, user: User) -> bool:
    """Whether a token's `pwv` claim is the user's current password stamp (constant time)."""
    return hmac.compare_digest(str(claim).encode(), password_stamp(user).encode())


def changed_the_password(token: str, user: User) -> bool:
    """Whether `token` made the user's latest password change, which leaves it valid (constant
    time)."""
    digest = user.password_change_token_digest
    if digest is None:
        return False
    current = password_change_digest(token, user.password_hash)
    return hmac.compare_digest(digest.encode(), current.encode())


def _authenticate(*, required: bool) -> None:
    token = _token_from_header()
    if token is None:
        if required:
            raise UnauthorizedError("is missing")
        g.current_user = None
        g.current_token = None
        return
    g.current_user = _user_from_token(token)
    g.current_token = token
    # The request log reads the id from here, not from the instance: a failed flush expires the
    # instance, and reloading it would need the database that just failed.
    g.current_user_id = g.current_user.id


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """The view needs a valid token; sets `g.current_user` and `g.current_token`."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _authenticate(required=True)
        return view(*args, **kwargs)

    return wrapper


def login_optional(view: Callable[P, R]) -> Callable[P, R]:
    """No header means anonymous (`g.current_user` is None); a bad header is still a 401."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _authenticate(required=False)
        return view(*args, **kwargs)

    return wrapper
