"""Token to user: JWTs in `Authorization: Token <jwt>` (or `Bearer <jwt>`).

Tokens are HS256 JWTs with exactly the claims sub (the user id as a string), iat, exp and pwv,
the password stamp: a password change makes every earlier token stale but the one that made the
change (update_session_auth_hash's idea, for tokens), which the user row knows by a digest
(password_change_digest). A request without the header is anonymous; a header that is present
but wrong is always a 401, even on endpoints where authentication is optional, and always "is
invalid", whatever the reason (expired, forged, stale, unknown user). AuthenticatedRequest and
ViewerRequest tell the type checker what `request.user` is in a handler: a User, or a User or
None.
"""

import hashlib
import hmac
from datetime import timedelta
from typing import NamedTuple

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from django_app.conduit.exceptions import UnauthorizedError
from django_app.conduit.models import User, utc_now

ALGORITHM = "HS256"
CLAIMS = ["sub", "iat", "exp", "pwv"]
SCHEMES = frozenset({"token", "bearer"})


class AuthenticatedRequest(Request):
    """A request the IsAuthenticated permission let through (annotation only)."""

    user: User
    auth: str


class ViewerRequest(Request):
    """A request on an endpoint where authentication is optional (annotation only)."""

    # UNAUTHENTICATED_USER = None in settings makes an anonymous caller None; the stubs assume
    # DRF's default, an AnonymousUser.
    user: User | None  # type: ignore[assignment]
    auth: str | None


class TokenClaims(NamedTuple):
    """What a verified token says: whose it is and the password stamp it was issued under."""

    user_id: int
    password_stamp: str


def password_stamp(user: User) -> str:
    """The token claim `pwv`: Django's session auth hash, an HMAC of the password hash under
    SECRET_KEY (what logs sessions out when a password changes). Every password change stores
    a new hash (a new salt, even for the same password), so the tokens issued before stop
    matching, exactly, with no clock involved; a change made in the admin counts too."""
    return user.get_session_auth_hash()


def password_change_digest(token: str, password: str) -> str:
    """What a user row keeps of the token that changed its password to the hash `password`: a
    SHA-256, never the token, so a copy of the database signs no one in. Bound to the new hash,
    so any later change of the password (from another token, the admin, `changepassword`) ends
    it."""
    return hashlib.sha256(f"{password}\n{token}".encode()).hexdigest()


def issue_token(user: User) -> str:
    """A fresh token for `user`, valid for JWT_TTL_SECONDS and until the password changes."""
    issued_at = utc_now().replace(microsecond=0)
    claims = {
        "sub": str(user.pk),
        "iat": issued_at,
        "exp": issued_at + timedelta(seconds=settings.JWT_TTL_SECONDS),
        "pwv": password_stamp(user),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def decode_token(token: str) -> TokenClaims:
    """The claims of a token signed by us with HS256 (and no other algorithm) that has not
    expired; UnauthorizedError "is invalid" otherwise."""
    try:
        claims = jwt.decode(
            token, settings.SECRET_KEY, algorithms=[ALGORITHM], options={"require": CLAIMS}
        )
    except jwt.InvalidTokenError as error:  # ExpiredSignatureError included
        raise UnauthorizedError("is invalid") from error
    subject = claims["sub"]
    # At most 18 digits: a bigint primary key, and never past int()'s digit limit or SQLite's.
    if not (subject.isascii() and subject.isdigit() and len(subject) <= 18):
        raise UnauthorizedError("is invalid")
    return TokenClaims(user_id=int(subject), password_stamp=str(claims["pwv"]))


def stamp_matches(claims: TokenClaims, user: User) -> bool:
    """Whether the token was issued under the user's current password (constant time)."""
    return hmac.compare_digest(claims.password_stamp.encode(), password_stamp(user).encode())


def changed_the_password(token: str, user: User) -> bool:
    """Whether `token` made the user's latest password change, which leaves it valid (constant
    time)."""
    digest = user.password_change_token_digest
    if digest is None:
        return False
    current = password_change_digest(token, user.password)
    return hmac.compare_digest(digest.encode(), current.encode())


class JWTAuthentication(BaseAuthentication):
    """DRF authentication backend for Conduit tokens."""

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        """(user, token) for a valid header, None without one; raises 401 for a bad one."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() not in SCHEMES or not token:
            raise UnauthorizedError("is invalid")
        claims = decode_token(token)
        try:
            user = User.objects.get(pk=claims.user_id, is_active=True)
        except User.DoesNotExist:
            raise UnauthorizedError("is invalid") from None
        if not (stamp_matches(claims, user) or changed_the_password(token, user)):
            raise UnauthorizedError("is invalid")
        return user, token

    def authenticate_header(self, request: Request) -> str:
        """The WWW-Authenticate challenge; returning one makes DRF answer 401 rather than 403."""
        return "Token"
