"""Abuse limits: Login and CreateUser rate limited per client address, failed logins per account.

The `limits` library that Flask-Limiter (and slowapi) are built on, through its async API, so a
check never blocks the event loop: counters in process memory, or in Redis when REDIS_URL is set
(redis-py's asyncio client), shared by every process, over a moving window. slowapi is not used:
it is little maintained, counts with the sync storages inside the event loop, and cannot count
failed attempts only. The per-address limits are route dependencies, solved before the body is
validated; the per-account one needs the validated email and counts failures only, so the
Login handler runs it around the password check. The client address is Starlette's
`request.client`, which main.py's ProxyHeadersMiddleware sets from X-Forwarded-For when the peer
is one of TRUSTED_PROXIES.
"""

import hashlib
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from fastapi_app.config import Settings
from fastapi_app.errors import InvalidCredentialsError, TooManyRequestsError


class RateLimits:
    """The app's limits and the storage their counters live in (one per app, in app.state)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        storage = (
            storage_from_string(f"async+{settings.redis_url}", implementation="redispy")
            if settings.redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.login_address = parse(settings.rate_limit_login_address)
        self.login_account = parse(settings.rate_limit_login_account)
        self.register_address = parse(settings.rate_limit_register_address)

    async def hit(self, limit: RateLimitItem, *identifiers: str) -> None:
        """Count one attempt; TooManyRequestsError (429) if the limit was already reached."""
        if self.enabled and not await self.limiter.hit(limit, *identifiers):
            raise TooManyRequestsError(await self.retry_after(limit, *identifiers))

    async def retry_after(self, limit: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the window lets an attempt through again."""
        stats = await self.limiter.get_window_stats(limit, *identifiers)
        return max(1, math.ceil(stats.reset_time - time.time()))

    @asynccontextmanager
    async def failed_logins_limited(self, email: str) -> AsyncIterator[None]:
        """Refuse a login for an account past its limit of failures; count the block's failure.

        Keyed by the email trimmed and lowercased, from whatever address it comes, hashed: a
        key of fixed length, and no email in the storage."""
        normalised = email.strip().lower().encode()
        account = ("login-account", hashlib.sha256(normalised).hexdigest())
        if self.enabled and not await self.limiter.test(self.login_account, *account):
            raise TooManyRequestsError(await self.retry_after(self.login_account, *account))
        try:
            yield
        except InvalidCredentialsError:
            if self.enabled:
                await self.limiter.hit(self.login_account, *account)
            raise


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
