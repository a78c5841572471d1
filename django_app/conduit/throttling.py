"""Abuse limits: Login and CreateUser rate limited per client address, failed logins per account.

DRF throttles over Django's default cache (settings.py: local memory, or Redis when REDIS_URL
is set, shared by every process), with the rates of DEFAULT_THROTTLE_RATES. The per-address
throttles are the views' `throttle_classes`, checked before the body is read; the per-account
one needs the validated email and counts failures only, so LoginView runs it around the
password check with `failed_logins_limited`. A refusal is DRF's Throttled, which
exceptions.py answers with the spec's 429. Every throttle counts in `counter_cache`, which
falls back to this process's memory while Redis fails, rather than letting its error be a 500.
"""

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from django_app.conduit.exceptions import InvalidCredentialsError
from django_app.conduit.models import canonical_email

TrustedProxies = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
T = TypeVar("T")

logger = logging.getLogger(__name__)

# What Django's RedisCache raises when Redis is down, restarting or past its socket timeouts.
STORE_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def store_name(url: str) -> str:
    """The counters' store as a log names it: its address and database, never its password."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class CounterCache(BaseCache):
    """The throttles' cache: Django's default one (Redis when REDIS_URL is set) while it answers,
    else this process's local memory, so that a limit still applies (per process) through an
    outage. One warning per outage; the default cache is tried again every `retry_seconds`,
    and used again once it answers (as Flask-Limiter's in-memory fallback does)."""

    retry_seconds = 5.0

    def __init__(self) -> None:
        super().__init__({})
        self.fallback = LocMemCache("conduit-throttle-fallback", {})
        self.retry_at: float | None = None  # set while the default cache is failing

    def get(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        return self._use(lambda store: store.get(key, default, version))

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._use(lambda store: store.set(key, value, timeout, version))

    def _use(self, operation: Callable[[BaseCache], T]) -> T:
        """The operation on the default cache, or on the fallback while the default fails."""
        if self.retry_at is not None and time.monotonic() < self.retry_at:
            return operation(self.fallback)
        try:
            result = operation(cache)
        except STORE_ERRORS as error:
            if self.retry_at is None:
                logger.warning(
                    "Rate limit storage unreachable - falling back to in-memory storage",
                    extra={
                        "fields": {
                            "store": store_name(settings.REDIS_URL),
                            "error": type(error).__name__,
                        }
                    },
                )
            self.retry_at = time.monotonic() + self.retry_seconds
            return operation(self.fallback)
        if self.retry_at is not None:
            logger.info("Rate limit storage recovered")
            self.retry_at = None
        return result


counter_cache = CounterCache()


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

    cache = counter_cache

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
    cache = counter_cache
    duration: int  # set by SimpleRateThrottle from the rate (the stubs leave it out)

    def __init__(self, email: str) -> None:
        super().__init__()
        # canonical_email() of the (validated, so trimmed) email, as Login matches it: every
        # spelling that signs in to one account counts against it. Hashed: a cache key of
        # fixed length and characters, with no address book in Redis.
        normalised = canonical_email(email).encode()
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
