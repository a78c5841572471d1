"""Token to user: JWTs in `Authorization: Token <jwt>` (or `Bearer <jwt>`).

Tokens are HS256 JWTs with exactly the claims sub (the user id as a string), iat and exp. A request
without the header is anonymous; a header that is present but wrong is always a 401, even on
endpoints where authentication is optional. AuthenticatedRequest and ViewerRequest tell the type
checker what `request.user` is in a handler: a User, or a User or None.
"""

from datetime import timedelta

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from django_app.conduit.exceptions import UnauthorizedError
from django_app.conduit.models import User, utc_now

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


def issue_token(user: User) -> str:
    """A fresh token for `user`, valid for JWT_TTL_SECONDS."""
    issued_at = utc_now().replace(microsecond=0)
    claims = {
        "sub": str(user.pk),
        "iat": issued_at,
        "exp": issued_at + timedelta(seconds=settings.JWT_TTL_SECONDS),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")


def user_id_from_token(token: str) -> int:
    """The user id a token was issued for; UnauthorizedError if it is invalid or has expired."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=["HS256"],
            options={"require": ["sub", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise UnauthorizedError("has expired") from error
    except jwt.InvalidTokenError as error:
        raise UnauthorizedError("is invalid") from error
    subject = claims["sub"]
    # At most 18 digits: a bigint primary key, and never past int()'s digit limit or SQLite's.
    if not (subject.isascii() and subject.isdigit() and len(subject) <= 18):
        raise UnauthorizedError("is invalid")
    return int(subject)


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
        user = User.objects.filter(pk=user_id_from_token(token), is_active=True).first()
        if user is None:
            raise UnauthorizedError("is invalid")
        return user, token

    def authenticate_header(self, request: Request) -> str:
        """The WWW-Authenticate challenge; returning one makes DRF answer 401 rather than 403."""
        return "Token"
