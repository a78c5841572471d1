"""Abuse limits: Login and CreateUser rate limited per client address, failed logins per account.

DRF throttles over Django's default cache (settings.py: local memory, or Redis when REDIS_URL
is set, shared by every process), with the rates of DEFAULT_THROTTLE_RATES. The per-address
throttles are the views' `throttle_classes`, checked before the body is read; the per-account
one needs the validated email and counts failures only, so LoginView runs it around the
password check with `failed_logins_limited`. A refusal is DRF's Throttled, which
exceptions.py answers with the spec's 429.
"""

import hashlib
import ipaddress
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from django_app.conduit.exceptions import InvalidCredentialsError

TrustedProxies = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def forwarded_client(peer: str, forwarded_for: str, trusted: TrustedProxies) -> str:
    """The client behind trusted proxies: the peer itself unless it is trusted, else the
    right-most X-Forwarded-For address that is not (each proxy appends the one it saw)."""
    address = peer
    hops = [hop.strip() for hop in forwarded_for.split(",")] if forwarded_for else []
    while _is_trusted(address, trusted) and hops:
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: TrustedProxies) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request) -> str:
    """The key of the per-address limits (TRUSTED_PROXIES says whose X-Forwarded-For counts)."""
    return forwarded_client(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )


class ClientAddressThrottle(SimpleRateThrottle):
    """Every request of a view counts for its client address (DRF's get_ident trusts a number
    of proxies, not the addresses of TRUSTED_PROXIES)."""

    def get_cache_key(self, request: Request, view: APIView) -> str:
        """One counter per scope and client address."""
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class LoginAddressThrottle(ClientAddressThrottle):
    """RATE_LIMIT_LOGIN_ADDRESS: every login attempt from one address."""

    scope = "login_address"


class RegisterAddressThrottle(ClientAddressThrottle):
    """RATE_LIMIT_REGISTER_ADDRESS: every registration attempt from one address."""

    scope = "register_address"


class LoginAccountThrottle(SimpleRateThrottle):
    """RATE_LIMIT_LOGIN_ACCOUNT: failed logins for one email, from any address.

    Checking does not count (a successful login never does); `record_failure` counts.
    """

    scope = "login_account"
    duration: int  # set by SimpleRateThrottle from the rate (the stubs leave it out)

    def __init__(self, email: str) -> None:
        super().__init__()
        # Hashed: a cache key of fixed length and characters, with no address book in Redis.
        normalised = email.strip().lower().encode()
        self.ident = hashlib.sha256(normalised).hexdigest()

    def get_cache_key(self, request: Request, view: APIView) -> str:
        """One counter per account, whatever the address."""
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def throttle_success(self) -> bool:
        """Under the limit: allowed, and not counted until the password proves wrong."""
        return True

    def record_failure(self) -> None:
        """Count one failed login in the history allow_request read."""
        if self.rate is None:
            return
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


@contextmanager
def failed_logins_limited(view: APIView, request: Request, email: str) -> Iterator[None]:
    """Refuse a login for an account past its limit of failures; count the block's failure."""
    throttle = LoginAccountThrottle(email)
    if not throttle.allow_request(request, view):
        view.throttled(request, throttle.wait() or 1.0)
    try:
        yield
    except InvalidCredentialsError:
        throttle.record_failure()
        raise
