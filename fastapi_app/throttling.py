"""Abuse limits: Login and CreateUser rate limited per client address, failed logins per account.

The `limits` library that Flask-Limiter (and slowapi) are built on, through its async API, so a
check never blocks the event loop: counters in process memory, or in Redis when REDIS_URL is set
(redis-py's asyncio client), shared by every process, over a moving window. slowapi is not used:
it is little maintained, counts with the sync storages inside the event loop, and cannot count
failed attempts only. The per-address limits are route dependencies, solved before the body is
validated; the per-account one needs the validated email and counts failures only, so the
Login handler runs it around the password check. The client address is Starlette's
`request.client`, which main.py's ProxyHeadersMiddleware sets from X-Forwarded-For when the peer
is one of TRUSTED_PROXIES. While Redis fails, the counting goes to a limiter in this process's
memory rather than letting the storage's error be a 500 (see `RateLimits`).
"""

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from fastapi_app.config import Settings
from fastapi_app.errors import InvalidCredentialsError, TooManyRequestsError
from fastapi_app.models import canonical_email

T = TypeVar("T")

logger = logging.getLogger(__name__)


def store_name(url: str) -> str:
    """The counters' store as a log names it: its address and database, never its password."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class RateLimits:
    """The app's limits and the storage their counters live in (one per app, in app.state).

    While the storage fails (Redis down, restarting, or past its socket timeouts), the counts go
    to `fallback`, in this process's memory, so that a limit still applies (per process). One
    warning per outage; the storage is tried again every `retry_seconds`, and used again once it
    answers (as Flask-Limiter's in-memory fallback does).
    """

    retry_seconds = 5.0

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        self.store = store_name(settings.redis_url) if settings.redis_url else "memory://"
        storage = (
            storage_from_string(
                f"async+{settings.redis_url}",
                implementation="redispy",
                wrap_exceptions=True,  # any storage failure is a StorageError
                # A Redis that hangs costs a request half a second, not the event loop's time.
                socket_connect_timeout=0.5,
                socket_timeout=0.5,
            )
            if settings.redis_url
            else MemoryStorage()
        )
        self.shared = MovingWindowRateLimiter(storage)
        self.fallback = MovingWindowRateLimiter(MemoryStorage())
        self.retry_at: float | None = None  # set while the storage is failing
        self.login_address = parse(settings.rate_limit_login_address)
        self.login_account = parse(settings.rate_limit_login_account)
        self.register_address = parse(settings.rate_limit_register_address)

    async def hit(self, limit: RateLimitItem, *identifiers: str) -> None:
        """Count one attempt; TooManyRequestsError (429) if the limit was already reached."""
        if self.enabled and not await self._use(lambda limiter: limiter.hit(limit, *identifiers)):
            raise TooManyRequestsError(await self.retry_after(limit, *identifiers))

    async def retry_after(self, limit: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the window lets an attempt through again."""
        stats = await self._use(lambda limiter: limiter.get_window_stats(limit, *identifiers))
        return max(1, math.ceil(stats.reset_time - time.time()))

    @asynccontextmanager
    async def failed_logins_limited(self, email: str) -> AsyncIterator[None]:
        """Refuse a login for an account past its limit of failures; count the block's failure.

        Keyed by canonical_email() of the (validated, so trimmed) email, as Login matches it,
        so every spelling that signs in to one account counts against it, from whatever
        address; hashed: a key of fixed length, and no email in the storage."""
        normalised = canonical_email(email).encode()
        account = ("login-account", hashlib.sha256(normalised).hexdigest())
        if self.enabled and not await self._use(
            lambda limiter: limiter.test(self.login_account, *account)
        ):
            raise TooManyRequestsError(await self.retry_after(self.login_account, *account))
        try:
            yield
        except InvalidCredentialsError:
            if self.enabled:
                await self._use(lambda limiter: limiter.hit(self.login_account, *account))
            raise

    async def _use(self, operation: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        """The operation on the storage, or on the fallback while the storage fails."""
        if self.retry_at is not None and time.monotonic() < self.retry_at:
            return await operation(self.fallback)
        try:
            result = await operation(self.shared)
        except StorageError as error:
            if self.retry_at is None:
                logger.warning(
                    "Rate limit storage unreachable - falling back to in-memory storage",
                    extra={
                        "fields": {
                            "store": self.store,
                            "error": type(error.storage_error).__name__,
                        }
                    },
                )
            self.retry_at = time.monotonic() + self.retry_seconds
            return await operation(self.fallback)
        if self.retry_at is not None:
            logger.info("Rate limit storage recovered")
            self.retry_at = None
        return result


def get_rate_limits(request: Request) -> RateLimits:
    """The limits the app was created with."""
    limits: RateLimits = request.app.state.rate_limits
    return limits


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


def client_address(request: Request) -> str:
    """The key of the per-address limits."""
    return request.client.host if request.client else ""


async def limit_login_by_address(request: Request, limits: RateLimitsDep) -> None:
    """RATE_LIMIT_LOGIN_ADDRESS: every login attempt from one address counts."""
    await limits.hit(limits.login_address, "login-address", client_address(request))


async def limit_registration_by_address(request: Request, limits: RateLimitsDep) -> None:
    """RATE_LIMIT_REGISTER_ADDRESS: every registration attempt from one address counts."""
    await limits.hit(limits.register_address, "register-address", client_address(request))
